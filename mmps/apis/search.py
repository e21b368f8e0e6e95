"""Search a gallery index for the person in a query box."""
import numbers
from dataclasses import dataclass
from typing import List, Sequence, Tuple

import numpy as np
import torch
import torch.nn as nn
from mmengine.dataset import pseudo_collate
from mmengine.structures import InstanceData

from ..models.detectors import check_person_searcher, contract_error
from .gallery_index import GalleryIndex
from .images import ImageInput, build_image_pipeline, read_image
from .model_fingerprint import model_fingerprint

OVERRIDE_HINT = ('allow_other_model=True (search_demo.py: --allow-other-model) '
                 'searches it anyway')


@dataclass
class SearchHit:
    """One gallery detection ranked for a query.

    Attributes:
        image (str): Name (path) of the gallery image.
        image_index (int): Position of the image in the gallery index.
        box (np.ndarray): (4,) x1y1x2y2 in the original gallery image.
        similarity (float): Cosine similarity to the query embedding.
        score (float): Detection score.
    """
    image: str
    image_index: int
    box: np.ndarray
    similarity: float
    score: float


def check_query_box(box: Sequence[float],
                    image_shape: Tuple[int, int],
                    image: str = 'the query image') -> np.ndarray:
    """Validate a query box against its image.

    Args:
        box (Sequence[float]): x1, y1, x2, y2 in pixels.
        image_shape (tuple[int, int]): (H, W) of the image.
        image (str): The image's name, for error messages.

    Returns:
        np.ndarray: The box, shape (4,), float32.

    Raises:
        ValueError: The box is not 4 finite numbers, is empty (x2 <= x1 or
            y2 <= y1), or leaves the image.
    """
    arr = np.asarray(box, dtype=np.float64).reshape(-1)
    if arr.shape != (4, ) or not np.isfinite(arr).all():
        raise ValueError(f'query box must be 4 finite numbers x1 y1 x2 y2, '
                         f'got {list(box)}')
    x1, y1, x2, y2 = arr.tolist()
    if x2 <= x1 or y2 <= y1:
        raise ValueError(f'query box {arr.tolist()} is empty: it needs '
                         'x2 > x1 and y2 > y1')
    height, width = image_shape
    if x1 < 0 or y1 < 0 or x2 > width or y2 > height:
        raise ValueError(f'query box {arr.tolist()} lies outside {image} '
                         f'(width {width}, height {height})')
    return arr.astype(np.float32)


def embed_query(searcher: nn.Module, image: np.ndarray,
                boxes: np.ndarray) -> np.ndarray:
    """Embed given boxes of one image (query mode of the inference contract:
    no detection, the boxes are the user's).

    Runs the model's :meth:`~mmps.models.BasePersonSearcher.predict_query`.

    Args:
        searcher (nn.Module): Model from :func:`init_searcher`.
        image (np.ndarray): The image, shape (H, W, 3), BGR.
        boxes (np.ndarray): (M, 4) x1y1x2y2 in the original image frame.

    Returns:
        np.ndarray: (M, D) embeddings, float32, in the order of ``boxes``.

    Raises:
        ValueError: The model is no person searcher, or gives no
            ``pred_query_instances`` with ``embeddings``.
    """
    check_person_searcher(searcher)
    packed = build_image_pipeline(searcher.cfg)(dict(img=image, img_id=0))
    query = InstanceData()
    query.bboxes = torch.as_tensor(boxes, dtype=torch.float32).reshape(-1, 4)
    packed['data_samples'].query_instances = query
    data = pseudo_collate([packed])
    with torch.no_grad():
        data = searcher.data_preprocessor(data, False)
        samples = searcher.predict_query(data['inputs'], data['data_samples'])
    pred = samples[0].get('pred_query_instances')
    if pred is None or 'embeddings' not in pred:
        raise contract_error(searcher, 'pred_query_instances.embeddings')
    embeddings = pred.embeddings
    return embeddings.detach().float().cpu().numpy()


def search(searcher: nn.Module,
           query_image: ImageInput,
           query_box: Sequence[float],
           gallery_index: GalleryIndex,
           topk: int = 10,
           score_thr: float = 0.5,
           allow_other_model: bool = False) -> List[SearchHit]:
    """Rank the gallery detections by cosine similarity to the query person.

    The index must have been built by this model: the same weights and
    model config (:class:`~mmps.apis.ModelFingerprint`; the test-time
    detection settings may differ). An index of another model, or one that
    records no model (saved by an older mmps, or built by hand), is refused
    unless ``allow_other_model``.

    Args:
        searcher (nn.Module): Model from :func:`init_searcher`; the one that
            built ``gallery_index``.
        query_image (str | Path | np.ndarray): Query scene image (path, or
            (H, W, 3) BGR array).
        query_box (Sequence[float]): The query person, x1 y1 x2 y2 in the
            query image's pixels.
        gallery_index (GalleryIndex): From :func:`index_gallery`. Images
            are not excluded: a gallery that holds the query image finds the
            query itself.
        topk (int): Hits to return at most. Defaults to 10.
        score_thr (float): Ignore detections scoring below it, a number
            in [0, 1]. Defaults to 0.5.
        allow_other_model (bool): Search an index whatever model built it
            (its embeddings must still have this model's dimension).
            Defaults to False.

    Returns:
        list[SearchHit]: At most ``topk`` hits, most similar first (ties
        keep gallery order).

    Raises:
        ValueError: ``topk < 1``, ``score_thr`` not a number in [0, 1], a
            bad query box, an unreadable query image, a gallery index of
            another model (unless ``allow_other_model``) or of another
            embedding dimension, or a model that gives no query embeddings
            (not a person-search model).
        FileNotFoundError: The query image file does not exist.

    Examples:
        >>> import numpy as np
        >>> from mmps.apis import index_gallery, init_searcher, search
        >>> from mmps.testing import get_config_file
        >>> searcher = init_searcher(
        ...     get_config_file('oim/oim_tiny_synthetic.py'),
        ...     cfg_options={
        ...         'model.roi_head.reid_head.loss_reid.num_person_ids': 5,
        ...         'model.test_cfg.rcnn.score_thr': 0.0})
        >>> scene = np.random.default_rng(0).integers(
        ...     0, 255, (80, 60, 3), dtype=np.uint8)
        >>> index = index_gallery(searcher, [scene], progress=False)
        >>> hits = search(searcher, scene, [10, 10, 30, 70], index, topk=3,
        ...               score_thr=0.0)
        >>> len(hits) <= 3, all(-1 <= h.similarity <= 1 for h in hits)
        (True, True)
    """
    if topk < 1:
        raise ValueError(f'topk must be >= 1, got {topk}')
    if (isinstance(score_thr, bool) or not isinstance(score_thr, numbers.Real)
            or not 0 <= score_thr <= 1):
        raise ValueError(f'score_thr must be a number in [0, 1], got {score_thr!r}')
    check_person_searcher(searcher)
    if not allow_other_model:
        _check_same_model(searcher, gallery_index)
    name = ('the query image'
            if isinstance(query_image, np.ndarray) else str(query_image))
    image = read_image(query_image, name)
    box = check_query_box(query_box, image.shape[:2], name)
    query = embed_query(searcher, image, box[None])[0]
    if query.shape[0] != gallery_index.embed_dim:
        raise ValueError(
            f'the gallery index holds {gallery_index.embed_dim}-d embeddings '
            f'but the model gives {query.shape[0]}-d ones: index the gallery '
            'with this model')

    image_ids = np.concatenate(
        [np.full(len(b), i) for i, b in enumerate(gallery_index.bboxes)])
    bboxes = np.concatenate(gallery_index.bboxes)
    scores = np.concatenate(gallery_index.scores)
    embeddings = np.concatenate(gallery_index.embeddings)
    keep = np.flatnonzero(scores >= score_thr)
    similarities = _cosine(embeddings[keep], query)
    hits = []
    for rank in np.argsort(-similarities, kind='stable')[:topk].tolist():
        i = keep[rank]
        hits.append(
            SearchHit(
                image=gallery_index.names[image_ids[i]],
                image_index=int(image_ids[i]),
                box=bboxes[i],
                similarity=float(similarities[rank]),
                score=float(scores[i])))
    return hits


def _check_same_model(searcher: nn.Module, gallery_index: GalleryIndex) -> None:
    """Refuse an index that another model built, or that names no model.

    Raises:
        ValueError: The index records no fingerprint, or another one than
            ``searcher``'s (the message says whether weights, config or
            both differ).
    """
    index = ('the gallery index'
             if gallery_index.path is None else f'gallery index {gallery_index.path}')
    if gallery_index.model_fingerprint is None:
        raise ValueError(f'{index} records no model (it was saved by an older mmps '
                         'or built by hand), so it cannot be checked against this '
                         f'one: index the gallery again with this model, or '
                         f'{OVERRIDE_HINT}')
    differences = gallery_index.model_fingerprint.differences(
        model_fingerprint(searcher))
    if differences:
        raise ValueError(f'{index} was built by another model (different '
                         f'{" and ".join(differences)}): index the gallery with this '
                         f'model, or {OVERRIDE_HINT}')


def _cosine(embeddings: np.ndarray, query: np.ndarray) -> np.ndarray:
    """Cosine similarities of (N, D) ``embeddings`` to a (D,) ``query``,
    shape (N,)."""
    norms = np.linalg.norm(embeddings, axis=1) * np.linalg.norm(query)
    return embeddings @ query / np.maximum(norms, 1e-12)
