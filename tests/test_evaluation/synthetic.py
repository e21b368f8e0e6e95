"""A small synthetic test split (annotation dict + per-image records)."""
import numpy as np


def make_split(num_images=10, num_persons=6, seed=0, dim=8):
    """Annotation dict in the docs/design.md schema and matching records.

    Detections are the ground-truth boxes shifted by a few pixels plus one
    false positive per image; embeddings are the person's identity vector
    plus noise, L2-normalised.
    """
    rng = np.random.default_rng(seed)
    identity = rng.normal(size=(num_persons + 1, dim))
    images, anns, records = [], [], []
    first_seen = {}
    for i in range(num_images):
        img_id = 100 + i
        images.append(dict(id=img_id, file_name=f'{i}.jpg', width=400,
                           height=300, cam_id=i % 3))
        pids = rng.permutation(num_persons)[:3]
        pids[2] = -1  # one unlabelled person per image
        boxes, feats = [], []
        for k, pid in enumerate(pids):
            x, y = 20 + 120 * k, 30 + rng.integers(0, 20)
            box = [float(x), float(y), 60.0, 150.0]
            anns.append(dict(id=len(anns), image_id=img_id, category_id=1,
                             bbox=box, area=9000.0, iscrowd=0,
                             person_id=int(pid)))
            boxes.append([x, y, x + 60.0, y + 150.0])
            feats.append(identity[pid] + 0.3 * rng.normal(size=dim))
            if pid >= 0:
                first_seen.setdefault(int(pid), (img_id, box, len(anns) - 1))
        boxes = np.array(boxes)
        feats = np.array(feats)
        det_boxes = np.concatenate(
            [boxes + rng.integers(-3, 4, boxes.shape), [[300, 200, 350,
                                                          280]]])
        det_feats = np.concatenate([feats, rng.normal(size=(1, dim))])
        det_feats = det_feats + 0.1 * rng.normal(size=det_feats.shape)
        records.append(dict(
            img_id=img_id,
            bboxes=det_boxes.astype(np.float32),
            scores=np.r_[rng.uniform(0.6, 1, 3), 0.55].astype(np.float32),
            embeddings=_unit(det_feats).astype(np.float32),
            query_bboxes=boxes.astype(np.float32),
            query_embeddings=_unit(feats).astype(np.float32),
            query_indices=np.full(3, -1, dtype=np.int64)))
    queries = []
    for pid in sorted(first_seen):
        img_id, box, _ = first_seen[pid]
        queries.append(dict(image_id=img_id, bbox=box, person_id=pid))
        rec = records[img_id - 100]
        row = int(np.flatnonzero(
            np.all(np.isclose(rec['query_bboxes'][:, :2], box[:2]),
                   axis=1))[0])
        rec['query_indices'][row] = len(queries) - 1
    img_ids = [img['id'] for img in images]
    galleries = {}
    for size in (3, 6):
        lists = []
        for q in queries:
            others = [i for i in img_ids if i != q['image_id']]
            lists.append([int(i) for i in rng.choice(others, size,
                                                     replace=False)])
        galleries[str(size)] = lists
    ann = dict(info=dict(dataset='synthetic', split='test'),
               categories=[dict(id=1, name='person')], images=images,
               annotations=anns,
               protocol=dict(queries=queries, galleries=galleries,
                             subsets=dict(occlusion=[0, 1])))
    return ann, records


def _unit(x):
    return x / np.linalg.norm(x, axis=1, keepdims=True)


def as_sample(record):
    """The ``to_dict()`` form of the output data sample of a record."""
    return dict(
        img_id=record['img_id'],
        pred_instances=dict(bboxes=record['bboxes'], scores=record['scores'],
                            embeddings=record['embeddings']),
        pred_query_instances=dict(bboxes=record['query_bboxes'],
                                  embeddings=record['query_embeddings'],
                                  query_indices=record['query_indices']))
