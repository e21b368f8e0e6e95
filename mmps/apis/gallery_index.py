"""Detections and embeddings of a gallery, stored for repeated searches."""
import os.path as osp
import zipfile
from typing import List, Optional, Sequence

import numpy as np

from .model_fingerprint import ModelFingerprint

INDEX_KEYS = ('names', 'counts', 'bboxes', 'scores', 'embeddings')
# the model that built the index (optional keys: an index saved before they
# existed has neither)
FINGERPRINT_KEYS = {'weights': 'model_weights_sha256', 'config': 'model_config_sha256'}


class GalleryIndex:
    """The persons detected in a gallery of scene images, with their
    embeddings, per image in gallery order.

    Saved as one ``.npz`` of plain arrays (no pickled objects: loading runs
    no code from the file).

    Args:
        names (Sequence[str]): Image names (paths), one per image.
        bboxes (Sequence[np.ndarray]): Per image, (N_i, 4) x1y1x2y2 boxes in
            the original image frame.
        scores (Sequence[np.ndarray]): Per image, (N_i,) detection scores.
        embeddings (Sequence[np.ndarray]): Per image, (N_i, D) L2-normalised
            embeddings (D the same for every image).
        model_fingerprint (ModelFingerprint, optional): The model that
            computed the detections and embeddings (:func:`index_gallery`
            records it; :func:`search` checks it). Defaults to None
            (unknown).

    Raises:
        ValueError: The lists differ in length, are empty, or the arrays'
            shapes disagree.

    Examples:
        >>> import os.path as osp, tempfile
        >>> import numpy as np
        >>> from mmps.apis import GalleryIndex
        >>> index = GalleryIndex(
        ...     names=['a.jpg', 'b.jpg'],
        ...     bboxes=[np.array([[0., 0., 10., 20.]]), np.zeros((0, 4))],
        ...     scores=[np.array([0.9]), np.zeros(0)],
        ...     embeddings=[np.array([[0.6, 0.8]]), np.zeros((0, 2))])
        >>> len(index), index.embed_dim
        (2, 2)
        >>> path = osp.join(tempfile.mkdtemp(), 'gallery.npz')
        >>> index.save(path)
        >>> GalleryIndex.load(path).names
        ['a.jpg', 'b.jpg']
    """

    def __init__(self,
                 names: Sequence[str],
                 bboxes: Sequence[np.ndarray],
                 scores: Sequence[np.ndarray],
                 embeddings: Sequence[np.ndarray],
                 model_fingerprint: Optional[ModelFingerprint] = None) -> None:
        lengths = {len(names), len(bboxes), len(scores), len(embeddings)}
        if len(lengths) != 1:
            raise ValueError('a gallery index needs as many names, bboxes, '
                             'scores and embeddings lists (one per image)')
        if not names:
            raise ValueError('a gallery index needs at least one image')
        self.names: List[str] = [str(name) for name in names]
        self.bboxes = [np.asarray(b, np.float32).reshape(-1, 4) for b in bboxes]
        self.scores = [np.asarray(s, np.float32).reshape(-1) for s in scores]
        self.embeddings = [np.asarray(e, np.float32) for e in embeddings]
        self.model_fingerprint = model_fingerprint
        self.path: Optional[str] = None  # the file it was loaded from
        dims = {e.shape[1] if e.ndim == 2 else None for e in self.embeddings}
        if len(dims) != 1 or None in dims:
            raise ValueError('gallery embeddings must all be (N_i, D) with one '
                             f'D, got shapes {[e.shape for e in self.embeddings]}')
        for name, b, s, e in zip(self.names, self.bboxes, self.scores, self.embeddings):
            if not len(b) == len(s) == len(e):
                raise ValueError(
                    f'{name}: {len(b)} boxes, {len(s)} scores and {len(e)} '
                    'embeddings in the gallery index')

    def __len__(self) -> int:
        """Number of gallery images."""
        return len(self.names)

    @property
    def embed_dim(self) -> int:
        """Embedding dimension D."""
        return self.embeddings[0].shape[1]

    def save(self, path: str) -> None:
        """Write the index to ``path`` (an ``.npz`` archive, written under
        exactly this name).

        Args:
            path (str): Output file.
        """
        arrays = dict(
            names=np.asarray(self.names, dtype=str),
            counts=np.asarray([len(b) for b in self.bboxes], np.int64),
            bboxes=np.concatenate(self.bboxes),
            scores=np.concatenate(self.scores),
            embeddings=np.concatenate(self.embeddings))
        if self.model_fingerprint is not None:
            arrays.update({
                key: np.asarray(getattr(self.model_fingerprint, part))
                for part, key in FINGERPRINT_KEYS.items()
            })
        with open(path, 'wb') as f:
            np.savez(f, **arrays)

    @classmethod
    def load(cls, path: str) -> 'GalleryIndex':
        """Read an index written by :meth:`save`.

        Args:
            path (str): The ``.npz`` file.

        Returns:
            GalleryIndex: The index, with ``path`` set (None for an index
            built in memory).

        Raises:
            FileNotFoundError: ``path`` does not exist.
            ValueError: ``path`` is no gallery index, or its arrays
                disagree (``counts`` not one non-negative count per name,
                or not summing to the rows of ``bboxes``, ``scores`` and
                ``embeddings``), or its model fingerprint is incomplete
                (one digest without the other, or not strings).
        """
        if not osp.isfile(path):
            raise FileNotFoundError(f'gallery index {path} not found')
        try:
            with np.load(path, allow_pickle=False) as archive:
                arrays = {key: archive[key] for key in INDEX_KEYS}
                digests = {
                    part: archive[key]
                    for part, key in FINGERPRINT_KEYS.items() if key in archive
                }
        except (KeyError, ValueError, OSError, zipfile.BadZipFile) as err:
            raise ValueError(f'{path} is no gallery index (an .npz with '
                             f'{", ".join(INDEX_KEYS)}): {err}') from err
        counts = arrays['counts']
        if (counts.ndim != 1 or len(counts) != len(arrays['names'])
                or not np.issubdtype(counts.dtype, np.integer) or (counts < 0).any()):
            raise ValueError(
                f'gallery index {path} is inconsistent: counts must hold one '
                f'non-negative integer per image name ({len(arrays["names"])}'
                f' names), got {counts.dtype} array of shape {counts.shape}')
        rows = {key: len(arrays[key]) for key in ('bboxes', 'scores', 'embeddings')}
        if set(rows.values()) != {int(counts.sum())}:
            raise ValueError(f'gallery index {path} is inconsistent: counts sum to '
                             f'{int(counts.sum())} detections but the file holds ' +
                             ', '.join(f'{n} {key}' for key, n in rows.items()))
        splits = np.cumsum(counts)[:-1]
        index = cls(arrays['names'].tolist(), np.split(arrays['bboxes'], splits),
                    np.split(arrays['scores'], splits),
                    np.split(arrays['embeddings'], splits),
                    _fingerprint_from(digests, path))
        index.path = path
        return index


def _fingerprint_from(digests: dict, path: str) -> Optional[ModelFingerprint]:
    """The model fingerprint from the optional arrays of an index file
    (None when it has neither).

    Raises:
        ValueError: One digest without the other, or a digest that is not a
            single string.
    """
    if not digests:
        return None
    if len(digests) != len(FINGERPRINT_KEYS) or any(d.ndim != 0 or d.dtype.kind != 'U'
                                                    for d in digests.values()):
        raise ValueError(
            f'gallery index {path} is inconsistent: its model '
            f'fingerprint needs both {" and ".join(FINGERPRINT_KEYS.values())}'
            ' as single strings')
    return ModelFingerprint(**{part: str(d) for part, d in digests.items()})
