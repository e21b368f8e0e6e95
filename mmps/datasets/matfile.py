"""A small, fast reader and writer for MATLAB v5 (``-v6``/``-v7``) files.

``scipy.io.loadmat`` builds one NumPy object per struct field of every
element, which for the CUHK-SYSU ``TestG4000.mat`` (2,900 queries x 4,000
gallery entries) costs minutes and many GB; ``savemat`` is slower still.
This module reads a variable element by element from the (possibly
zlib-compressed) stream and returns plain Python values:

- char array -> ``str`` (a list of ``str`` for several rows),
- numeric or logical array -> read-only ``float64`` ``np.ndarray`` with the
  MATLAB shape,
- cell array -> ``list`` (column-major),
- struct array -> ``dict`` of field name -> ``list`` of values
  (column-major), i.e. one column per field.

Identical small elements (a gallery image name, an empty box) are decoded
once and shared. The writer produces the same layout MATLAB does (struct
fields, cells, ``miUINT16`` chars, ``miDOUBLE`` numbers), compressed by
default; it encodes repeated values once.

Small files are read whole with :func:`load_mat` (``scipy.io.loadmat``).
Every reading error names the file: a truncated or corrupt file raises a
:class:`MatFormatError` (a ``ValueError``).
"""
import os
import struct
import zlib
from typing import Any, BinaryIO, Dict, Iterator, List, Sequence, Tuple

import numpy as np
from scipy.io import loadmat

MI_INT8, MI_INT32, MI_UINT16, MI_UINT32 = 1, 5, 4, 6
MI_DOUBLE, MI_MATRIX, MI_COMPRESSED = 9, 14, 15
MI_DTYPES = {
    1: '<i1',
    2: '<u1',
    3: '<i2',
    4: '<u2',
    5: '<i4',
    6: '<u4',
    7: '<f4',
    9: '<f8',
    12: '<i8',
    13: '<u8'
}
MI_TEXT = {
    1: 'utf-8',
    2: 'utf-8',
    4: 'utf-16-le',
    16: 'utf-8',
    17: 'utf-16-le',
    18: 'utf-32-le'
}
MX_CELL, MX_STRUCT, MX_CHAR, MX_DOUBLE = 1, 2, 4, 6
MX_NUMERIC = set(range(6, 16))
CACHE_LIMIT = 512  # bytes: elements up to this size are decoded once
_U32 = struct.Struct('<II')
_I32 = struct.Struct('<i')


class MatFormatError(ValueError):
    """The file is not a MATLAB v5 file this module can read."""


def _tag(buf: memoryview, off: int) -> Tuple[int, int, int, int]:
    """(type, nbytes, data offset, next element offset) of a data element."""
    first, second = _U32.unpack_from(buf, off)
    if first >> 16:  # small data element: everything in 8 bytes
        return first & 0xFFFF, first >> 16, off + 4, off + 8
    end = off + 8 + second
    return first, second, off + 8, end + (-end) % 8


class _Decoder:
    """Decodes ``miMATRIX`` elements, sharing equal small elements."""

    def __init__(self, path: str) -> None:
        self.path = path
        self.cache: Dict[bytes, Any] = {}

    def element(self, buf: memoryview, off: int) -> Tuple[Any, int]:
        """Decode the ``miMATRIX`` element at ``off``; (value, next off)."""
        mtype, nbytes, start, nxt = _tag(buf, off)
        if mtype != MI_MATRIX:
            raise MatFormatError(f'{self.path}: expected a matrix element '
                                 f'at byte {off}, found type {mtype}')
        if nbytes <= CACHE_LIMIT:
            key = bytes(buf[start:start + nbytes])
            value = self.cache.get(key)
            if value is None:
                value = self.matrix(buf, start, start + nbytes)
                self.cache[key] = value
            return value, nxt
        return self.matrix(buf, start, start + nbytes), nxt

    def matrix(self, buf: memoryview, off: int, end: int) -> Any:
        """Decode the body (flags, dims, name, data) of a matrix."""
        if off == end:  # MATLAB writes [] as an empty matrix element
            return _readonly(np.zeros((0, 0)))
        _, _, data, off = _tag(buf, off)
        mx_class = buf[data]
        dtype, nbytes, data, off = _tag(buf, off)
        dims = tuple(np.frombuffer(buf[data:data + nbytes], '<i4').tolist())
        _, _, _, off = _tag(buf, off)  # array name (empty inside arrays)
        count = int(np.prod(dims))
        if mx_class == MX_STRUCT:
            _, nbytes, data, off = _tag(buf, off)
            width = bytes(buf[data:data + nbytes])
            _, nbytes, data, off = _tag(buf, off)
            names = _field_names(width, bytes(buf[data:data + nbytes]))
            columns: Dict[str, list] = {name: [] for name in names}
            appends = [columns[name].append for name in names]
            cache, unpack = self.cache, _U32.unpack_from
            for _ in range(count):  # the hot loop of big galleries
                for append in appends:
                    mtype, nbytes = unpack(buf, off)
                    if mtype != MI_MATRIX or nbytes > CACHE_LIMIT:
                        value, off = self.element(buf, off)
                        append(value)
                        continue
                    # a read-only memoryview hashes like its bytes: no copy
                    key = buf[off + 8:off + 8 + nbytes]
                    value = cache.get(key)
                    if value is None:
                        value = cache[key.tobytes()] = self.matrix(
                            buf, off + 8, off + 8 + nbytes)
                    append(value)
                    off += 8 + nbytes
            return columns
        if mx_class == MX_CELL:
            items = []
            for _ in range(count):
                value, off = self.element(buf, off)
                items.append(value)
            return items
        dtype, nbytes, data, off = _tag(buf, off)
        if mx_class == MX_CHAR:
            if dtype not in MI_TEXT:
                raise MatFormatError(f'{self.path}: char data of type {dtype}')
            text = bytes(buf[data:data + nbytes]).decode(MI_TEXT[dtype])
            if len(dims) == 2 and dims[0] <= 1:
                return text
            rows = np.array(list(text)).reshape(dims, order='F')
            return [''.join(r) for r in rows]
        if mx_class in MX_NUMERIC and dtype in MI_DTYPES:
            arr = np.frombuffer(buf[data:data + nbytes], MI_DTYPES[dtype])
            return _readonly(arr.astype(np.float64).reshape(dims, order='F'))
        raise MatFormatError(f'{self.path}: unsupported MATLAB class '
                             f'{mx_class} (data type {dtype})')


def _readonly(arr: np.ndarray) -> np.ndarray:
    arr.flags.writeable = False
    return arr


class _Stream:
    """Sequential bytes of one variable, decompressing on the fly.

    Args:
        f (BinaryIO): The file, positioned at the variable's data.
        nbytes (int): Bytes of the variable in the file.
        compressed (bool): The data is zlib-compressed (``miCOMPRESSED``).
        path (str): The file's path, for error messages.
    """

    CHUNK = 1 << 20

    def __init__(self, f: BinaryIO, nbytes: int, compressed: bool, path: str) -> None:
        self.f = f
        self.path = path
        self.left = nbytes
        self.zlib = zlib.decompressobj() if compressed else None
        self.buf = bytearray()
        self.pos = 0

    def read(self, n: int) -> memoryview:
        """The next ``n`` bytes.

        Raises:
            MatFormatError: Naming the file, when the variable or the file
                ends first or the compressed data is corrupt.
        """
        while len(self.buf) - self.pos < n:
            if self.left <= 0:
                raise MatFormatError(f'{self.path}: truncated MATLAB variable (its '
                                     'data ends inside an element)')
            chunk = self.f.read(min(self.CHUNK, self.left))
            self.left -= len(chunk)
            if not chunk:
                raise MatFormatError(
                    f'{self.path}: truncated MATLAB file ({self.f.tell()} bytes, '
                    f'{self.left} more expected): copy it again from the release')
            if self.zlib is not None:
                try:
                    chunk = self.zlib.decompress(chunk)
                except zlib.error as err:
                    raise MatFormatError(f'{self.path}: corrupt compressed MATLAB '
                                         f'data ({err})') from None
            if self.pos > self.CHUNK:
                del self.buf[:self.pos]
                self.pos = 0
            self.buf += chunk
        out = memoryview(bytes(self.buf[self.pos:self.pos + n]))
        self.pos += n
        return out


def _next_element(stream: _Stream) -> Tuple[int, bytes]:
    """(type, data) of the next non-matrix data element of ``stream``."""
    head = stream.read(8)
    mtype, nbytes, data, nxt = _tag(head, 0)
    if nxt == 8:
        return mtype, bytes(head[data:data + nbytes])
    return mtype, bytes(stream.read(nxt - 8))[:nbytes]


def _field_names(width_data: bytes, raw: bytes) -> List[str]:
    """Struct field names from the name-length and names elements."""
    width = _I32.unpack_from(width_data)[0]
    return [
        raw[k:k + width].split(b'\0')[0].decode('ascii')
        for k in range(0, len(raw), width)
    ]


class MatFile:
    """A MATLAB v5 file opened for reading variables by name.

    Args:
        path (str): The ``.mat`` file.
    """

    def __init__(self, path: str) -> None:
        self.path = path
        with open(path, 'rb') as f:
            header = f.read(128)
        if len(header) < 128:
            raise MatFormatError(f'{path}: truncated MATLAB file ({len(header)} '
                                 'bytes, shorter than the 128-byte header)')
        if header[126:128] != b'IM':
            kind = ('MATLAB 7.3 (HDF5)'
                    if header.startswith(b'MATLAB 7.3') else 'unknown')
            raise MatFormatError(
                f'{path}: not a little-endian MATLAB v5 file ({kind} format)')
        self.variables = dict(self._scan())

    def _scan(self) -> Iterator[Tuple[str, Tuple[int, int, bool]]]:
        """(name, (offset, nbytes, compressed)) of each top-level variable."""
        size = os.path.getsize(self.path)
        off = 128
        with open(self.path, 'rb') as f:
            while off + 8 <= size:
                f.seek(off)
                mtype, nbytes = _U32.unpack(f.read(8))
                compressed = mtype == MI_COMPRESSED
                if mtype in (MI_MATRIX, MI_COMPRESSED):
                    stream = _Stream(f, nbytes, compressed, self.path)
                    if not compressed:
                        stream.buf += _U32.pack(mtype, nbytes)
                    yield (self._name(stream), (off + 8, nbytes, compressed))
                end = off + 8 + nbytes
                off = end if compressed else end + (-end) % 8

    @staticmethod
    def _name(stream: _Stream) -> str:
        """Variable name from the head of a ``miMATRIX`` stream."""
        stream.read(8)  # matrix tag
        _next_element(stream)  # flags
        _next_element(stream)  # dims
        return _next_element(stream)[1].decode('ascii')

    def keys(self) -> List[str]:
        """Names of the variables in the file."""
        return list(self.variables)

    def _open(self, key: str) -> Tuple[BinaryIO, _Stream]:
        if key not in self.variables:
            raise KeyError(f'{self.path}: expected key {key!r}, found '
                           f'{sorted(self.variables)}')
        off, nbytes, compressed = self.variables[key]
        f = open(self.path, 'rb')
        f.seek(off)
        stream = _Stream(f, nbytes, compressed, self.path)
        if not compressed:
            stream.buf += _U32.pack(MI_MATRIX, nbytes)
        return f, stream

    def read(self, key: str) -> Any:
        """The whole variable ``key`` (see the module docstring)."""
        f, stream = self._open(key)
        with f:
            head = stream.read(8)
            _, nbytes, _, _ = _tag(head, 0)
            buf = memoryview(bytes(head) + bytes(stream.read(nbytes)))
            return _Decoder(self.path).element(buf, 0)[0]

    def iter_struct(self, key: str) -> Iterator[Dict[str, Any]]:
        """Elements of the struct array ``key`` one at a time.

        Each is a dict of field name -> value. Only one element is held in
        memory, so arbitrarily large arrays stream in constant memory.
        """
        f, stream = self._open(key)
        decoder = _Decoder(self.path)
        with f:
            stream.read(8)
            if _next_element(stream)[1][0] != MX_STRUCT:
                raise KeyError(f'{self.path}: {key} is not a struct array')
            dims = np.frombuffer(_next_element(stream)[1], '<i4')
            _next_element(stream)  # name
            width = _next_element(stream)[1]
            names = _field_names(width, _next_element(stream)[1])
            for _ in range(int(np.prod(dims))):
                item = {}
                for name in names:
                    head = stream.read(8)
                    _, nbytes, _, _ = _tag(head, 0)
                    buf = memoryview(bytes(head) + bytes(stream.read(nbytes)))
                    item[name] = decoder.element(buf, 0)[0]
                yield item


class MatStruct:
    """A 1 x n MATLAB struct array to write.

    Args:
        fields (Sequence[str]): Field names.
        rows (Sequence[Sequence]): One tuple of field values per element.
    """

    def __init__(self, fields: Sequence[str], rows: Sequence[Sequence]) -> None:
        self.fields = tuple(fields)
        self.rows = rows


def _element(mtype: int, data: bytes) -> bytes:
    """A data element: tag, data, zero padding to 8 bytes."""
    return _U32.pack(mtype, len(data)) + data + b'\0' * (-len(data) % 8)


def _matrix(mx_class: int, dims: Sequence[int], body: bytes, name: str = '') -> bytes:
    head = (
        _element(MI_UINT32, struct.pack('<II', mx_class, 0)) +
        _element(MI_INT32, struct.pack(f'<{len(dims)}i', *dims)) +
        _element(MI_INT8, name.encode('ascii')))
    return _U32.pack(MI_MATRIX, len(head) + len(body)) + head + body


class _Encoder:
    """Encodes values as ``miMATRIX`` elements, each distinct value once."""

    def __init__(self) -> None:
        self.cache: Dict[Any, Tuple[Any, bytes]] = {}

    def encode(self, value: Any) -> bytes:
        """Encoded bytes of ``value``; numbers, strings and arrays once."""
        if isinstance(value, (MatStruct, list, tuple)):
            return self._encode(value)
        key = (type(value), value) if isinstance(value,
                                                 (str, int, float)) else id(value)
        hit = self.cache.get(key)
        if hit is None:  # holding ``value`` keeps its id from being reused
            hit = self.cache[key] = (value, self._encode(value))
        return hit[1]

    def _encode(self, value: Any, name: str = '') -> bytes:
        if isinstance(value, str):
            dims = (1, len(value)) if value else (0, 0)
            return _matrix(MX_CHAR, dims, _element(MI_UINT16,
                                                   value.encode('utf-16-le')), name)
        if isinstance(value, MatStruct):
            return _matrix(MX_STRUCT, (1, len(value.rows)),
                           b''.join(self.struct_body(value)), name)
        if isinstance(value, (list, tuple)):
            return _matrix(MX_CELL, (len(value), 1),
                           b''.join(self.encode(v) for v in value), name)
        arr = np.asarray(value, dtype=np.float64)
        arr = arr.reshape(1, 1) if arr.ndim == 0 else arr
        return _matrix(MX_DOUBLE, arr.shape, _element(MI_DOUBLE,
                                                      arr.tobytes(order='F')), name)

    def struct_body(self, value: MatStruct) -> Iterator[bytes]:
        """Field-name header, then each element's field values."""
        width = max([len(f) for f in value.fields] + [0]) + 1
        yield struct.pack('<I', 4 << 16 | MI_INT32) + _I32.pack(width)
        yield _element(
            MI_INT8,
            b''.join(f.encode('ascii').ljust(width, b'\0') for f in value.fields))
        for row in value.rows:
            yield b''.join(self.encode(v) for v in row)


def write_mat(path: str,
              variables: Dict[str, Any],
              compress: bool = True,
              level: int = 1) -> None:
    """Write ``variables`` (name -> value) as a MATLAB v5 file.

    Values: ``str``; numbers and numeric arrays (written as double);
    ``list``/``tuple`` (an n x 1 cell array); :class:`MatStruct`. A large
    top-level struct is encoded twice (size, then data) instead of being
    held in memory.

    Args:
        path (str): Output file.
        variables (dict): Variable name -> value.
        compress (bool): zlib-compress each variable, like MATLAB.
        level (int): zlib level when compressing.
    """
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    header = b'MATLAB 5.0 MAT-file, written by mmps'.ljust(116, b' ')
    with open(path, 'wb') as f:
        f.write(header + b'\0' * 8 + struct.pack('<H', 0x0100) + b'IM')
        for name, value in variables.items():
            encoder = _Encoder()
            if isinstance(value, MatStruct):
                head = (
                    _element(MI_UINT32, struct.pack('<II', MX_STRUCT, 0)) +
                    _element(MI_INT32, struct.pack('<2i', 1, len(value.rows))) +
                    _element(MI_INT8, name.encode('ascii')))
                size = len(head) + sum(len(b) for b in encoder.struct_body(value))
                chunks = _chain([_U32.pack(MI_MATRIX, size), head],
                                encoder.struct_body(value))
            else:
                chunks = iter([encoder._encode(value, name)])
            if not compress:
                for chunk in chunks:
                    f.write(chunk)
                continue
            start = f.tell()
            f.write(b'\0' * 8)
            zobj, nbytes = zlib.compressobj(level), 0
            for chunk in chunks:
                out = zobj.compress(chunk)
                nbytes += len(out)
                f.write(out)
            out = zobj.flush()
            nbytes += len(out)
            f.write(out)
            end = f.tell()
            f.seek(start)
            f.write(_U32.pack(MI_COMPRESSED, nbytes))
            f.seek(end)


def _chain(first: List[bytes], rest: Iterator[bytes]) -> Iterator[bytes]:
    yield from first
    yield from rest


def load_mat(path: str) -> Dict[str, Any]:
    """All variables of a small MATLAB file, as ``scipy.io.loadmat`` reads
    them.

    Args:
        path (str): The ``.mat`` file.

    Returns:
        dict[str, Any]: ``loadmat``'s dict (variable name -> array).

    Raises:
        MatFormatError: Naming the file, when scipy cannot read it (cut
            short, e.g. "could not read bytes", or not a MATLAB file).
    """
    try:
        return loadmat(path)
    except (ValueError, TypeError, OSError, EOFError, struct.error, zlib.error) as err:
        size = os.path.getsize(path)
        raise MatFormatError(f'{path}: cannot read this MATLAB file ({size} bytes; '
                             f'{type(err).__name__}: {err}): truncated or not a '
                             '.mat file? Copy it again from the release') from None


def read_mat(path: str, key: str) -> Any:
    """``MatFile(path).read(key)``: one whole variable."""
    return MatFile(path).read(key)


def struct_fields(value: Any, path: str, key: str,
                  fields: Sequence[str]) -> Dict[str, list]:
    """Check that ``value`` is a struct with ``fields``; return it.

    Raises:
        KeyError: Naming the file, the variable and the missing fields.
    """
    if not isinstance(value, dict):
        raise KeyError(f'{path}: {key} is not a struct (expected fields '
                       f'{list(fields)})')
    missing = [f for f in fields if f not in value]
    if missing:
        raise KeyError(f'{path}: {key} lacks fields {missing}, has '
                       f'{sorted(value)}')
    return value


__all__ = [
    'MatFile', 'MatFormatError', 'MatStruct', 'load_mat', 'read_mat', 'struct_fields',
    'write_mat'
]
