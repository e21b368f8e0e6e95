"""Search a gallery index for the person in a query box."""
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
           score_thr: float = 0.5) -> List[SearchHit]:
    """Rank the gallery detections by cosine similarity to the query person.

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
        score_thr (float): Ignore detections scoring below it. Defaults to
            0.5.

    Returns:
        list[SearchHit]: At most ``topk`` hits, most similar first (ties
        keep gallery order).

    Raises:
        ValueError: ``topk < 1``, a bad query box, an unreadable query image,
            a gallery index of another embedding dimension, or a model that
            gives no query embeddings (not a person-search model).
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


def _cosine(embeddings: np.ndarray, query: np.ndarray) -> np.ndarray:
    """Cosine similarities of (N, D) ``embeddings`` to a (D,) ``query``,
    shape (N,)."""
    norms = np.linalg.norm(embeddings, axis=1) * np.linalg.norm(query)
    return embeddings @ query / np.maximum(norms, 1e-12)
