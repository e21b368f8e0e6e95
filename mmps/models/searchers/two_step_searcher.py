"""Two-step person search: a detector, then a re-ID network on crops."""
from typing import List, Optional, Sequence, Tuple, Union

import torch
import torch.nn as nn
from mmdet.models.detectors import BaseDetector
from mmdet.registry import DATASETS, MODELS
from mmdet.structures import DetDataSample, SampleList
from mmdet.structures.bbox import get_box_tensor
from mmengine.config import Config, ConfigDict
from mmengine.hub import get_config
from mmengine.structures import InstanceData
from torch import Tensor

from ..detectors.base_person_searcher import BasePersonSearcher
from ..layers.roi_align_cropper import RoIAlignCropper
from ..reid.base_crop_reid import BaseCropReID
from ..utils.box_frames import boxes_to_input_frame, boxes_to_original_frame
from ..utils.foreground_separation import box_masks, instance_masks, paint_instance_map
from ..utils.person_segmentor import DEFAULT_SEGMENTOR, check_person_segmentor
from ..utils.query_packing import pack_query_predictions, query_boxes


def _config_classes(cfg: Config) -> Optional[Sequence[str]]:
    """The class names of an mmdet config's test dataset, if it names
    them (its ``metainfo`` or the dataset class's ``METAINFO``)."""
    dataset = cfg.get('test_dataloader', {}).get('dataset', {})
    classes = dataset.get('metainfo', {}).get('classes')
    if classes is None and isinstance(dataset.get('type'), str):
        dataset_cls = DATASETS.get(dataset['type'])
        classes = getattr(dataset_cls, 'METAINFO', {}).get('classes')
    return classes


def build_segmentor(segmentor: dict) -> Tuple[nn.Module, float, int]:
    """Build the online instance segmentor of a two-step searcher.

    Args:
        segmentor (dict): ``config`` (an mmdet config file, e.g.
            ``'mmdet::mask_rcnn/mask-rcnn_r101_fpn_1x_coco.py'``; its
            ``model`` is built without its backbone's ``init_cfg``, since
            the weights come from the segmentor's checkpoint, and its test
            dataset names the classes) or
            ``model`` (a model config dict, with optional ``classes``);
            ``score_thr`` (lowest mask score painted, defaults to 0.5) and
            ``person_class`` (the label of persons, defaults to 0).

    Returns:
        tuple: The segmentor (an mmdet detector with masks), ``score_thr``
        and ``person_class``.

    Raises:
        ValueError: Neither or both of ``config`` and ``model``, unknown
            keys, a model that predicts no masks, or a ``person_class``
            that the config's classes do not call 'person'.
    """
    segmentor = dict(segmentor)
    score_thr = float(segmentor.pop('score_thr', 0.5))
    person_class = int(segmentor.pop('person_class', 0))
    classes = segmentor.pop('classes', None)
    config, model_cfg = segmentor.pop('config', None), segmentor.pop('model', None)
    if segmentor or (config is None) == (model_cfg is None):
        raise ValueError('segmentor takes config (an mmdet config file, e.g. '
                         f'{DEFAULT_SEGMENTOR!r}) or model, plus score_thr and '
                         f'person_class; got the keys {sorted(segmentor)} besides '
                         f'config={config!r}, model={model_cfg is not None}')
    if config is not None:
        cfg = get_config(config) if '::' in config else Config.fromfile(config)
        model_cfg, classes = cfg.model, classes or _config_classes(cfg)
        # its weights come whole from a checkpoint (compose_two_step.py
        # --segmentor): no ImageNet initialisation to fetch
        if 'init_cfg' in model_cfg.get('backbone', {}):
            model_cfg.backbone.init_cfg = None
    model = MODELS.build(model_cfg)
    check_person_segmentor(model, person_class, classes)
    return model, score_thr, person_class


@MODELS.register_module()
class TwoStepSearcher(BasePersonSearcher, BaseDetector):
    """Two-step person search: a separately trained detector, then a re-ID
    network on the detected boxes cut out of the image (MGTS, Chen et al.
    ECCV 2018; RDLR builds on it).

    The searcher owns no normalisation (mmengine's
    ``BaseDataPreprocessor``: device transfer only): its inputs are the raw
    images of the test pipeline (after the detector's ``Resize``), the
    detector normalises them with its own ``data_preprocessor`` and the re-ID
    network its patches with its own statistics (RDLR instead cuts the
    detector's normalised input: :class:`RDLRSearcher`). Patches are cut by
    :class:`RoIAlignCropper` with the re-ID network's ``crop_cfg``, the very
    cutter of the crop pipeline, so training and test patches of a box are
    the same numbers.

    - ``predict``: detections with ``scores >= score_thr`` (or, with
      ``detector=None``, the sample's GT boxes) and the query boxes of the
      batch are embedded in one batched pass (:meth:`embed_boxes`).
    - ``predict_query``: no detection (:class:`BasePersonSearcher`).
    - ``loss``: with ``detector=None`` the re-ID network's loss on the
      packed crops of :class:`~mmps.datasets.PersonCropDataset`, so one
      config trains the re-ID step and tests it on GT boxes; with a
      detector the parts are trained apart (one-line error; RDLR overrides).

    Subclasses change how boxes become patches and embeddings through three
    hooks, :meth:`crop_patches`, :meth:`crop_masks` and
    :meth:`embed_patches` (RDLR cuts the detector's normalised input and
    embeds the patches without normalising them again).

    Args:
        reid (dict): Config of a :class:`BaseCropReID` network.
        detector (dict, optional): Config of an mmdet detector
            (``num_classes=1``); None embeds the GT boxes of each sample
            (``gt_instances.bboxes`` in the original image frame, as the test
            pipelines load them after ``Resize``). Defaults to None.
        segmentor (dict, optional): Online instance segmentor (see
            :func:`build_segmentor`), used for ``crop_cfg.mask='instance'``
            when a sample carries no ``instance_map``. Defaults to None.
        score_thr (float): Lowest detection score kept (MGTS Sec. 3.1).
            Defaults to 0.5.
        crop_batch (int): Patches per re-ID forward pass. Defaults to 64.
        data_preprocessor (dict, optional): Defaults to mmengine's
            ``BaseDataPreprocessor``.
        init_cfg (dict, optional): Initialisation config; the parts carry
            their own. Defaults to None.
    """

    def __init__(self,
                 reid: dict,
                 detector: Optional[dict] = None,
                 segmentor: Optional[dict] = None,
                 score_thr: float = 0.5,
                 crop_batch: int = 64,
                 data_preprocessor: Optional[dict] = None,
                 init_cfg: Optional[dict] = None) -> None:
        super().__init__(data_preprocessor=data_preprocessor, init_cfg=init_cfg)
        self.reid = MODELS.build(reid)
        if not isinstance(self.reid, BaseCropReID):
            raise TypeError(f'reid must build a BaseCropReID network, got '
                            f'{type(self.reid).__name__}')
        self.detector = MODELS.build(detector) if detector is not None else None
        self.segmentor = None
        if segmentor is not None:
            built = build_segmentor(segmentor)
            self.segmentor, self.segmentor_score_thr, self.person_class = built
        if crop_batch < 1:
            raise ValueError(f'crop_batch must be >= 1, got {crop_batch}')
        self.score_thr = score_thr
        self.crop_batch = crop_batch
        # boxes whose instance mask fell back to the tight box (Algorithm 1
        # found no instance pixel in b_gamma), counted since construction
        self.mask_fallbacks = 0
        crop_cfg = self.reid.crop_cfg
        self.cropper = RoIAlignCropper(crop_cfg.size, crop_cfg.expand_ratio)

    @property
    def crop_cfg(self) -> ConfigDict:
        """ConfigDict: The crop settings (``expand_ratio``, ``size``,
        ``mask``): those of the re-ID network."""
        return self.reid.crop_cfg

    def extract_feat(self, batch_inputs: Union[Tensor,
                                               Sequence[Tensor]]) -> List[Tensor]:
        """The images the patches are cut from.

        Args:
            batch_inputs (Tensor | Sequence[Tensor]): Raw images, one
                (3, H_i, W_i) tensor each (unpadded), or a (B, 3, H, W)
                batch.

        Returns:
            list[Tensor]: One float (3, H_i, W_i) image per sample.
        """
        return [image.float() for image in batch_inputs]

    def detector_inputs(self, images: Sequence[Tensor],
                        batch_data_samples: SampleList) -> Tuple[Tensor, SampleList]:
        """The detector's normalised, padded batch of the raw images.

        Args:
            images (Sequence[Tensor]): Raw (3, H_i, W_i) images.
            batch_data_samples (list[DetDataSample]): The samples; the
                detector's preprocessor adds ``batch_input_shape`` and
                ``pad_shape`` to their metainfo.

        Returns:
            tuple: Inputs (B, 3, H, W) and the samples.
        """
        data = self.detector.data_preprocessor(
            dict(inputs=list(images), data_samples=batch_data_samples), False)
        return data['inputs'], data['data_samples']

    def detect(self, images: List[Tensor],
               batch_data_samples: SampleList) -> List[InstanceData]:
        """Gallery boxes of each image, in the input frame.

        Args:
            images (list[Tensor]): Raw (3, H_i, W_i) images.
            batch_data_samples (list[DetDataSample]): The samples.

        Returns:
            list[InstanceData]: Per image ``bboxes`` (N_i, 4) in the input
            frame and ``scores`` (N_i,): detections scoring at least
            ``score_thr``, or the GT boxes with score 1 when
            ``detector=None``.

        Raises:
            ValueError: ``detector=None`` and a sample has no GT boxes.
        """
        results = []
        if self.detector is None:
            for sample in batch_data_samples:
                gt = sample.get('gt_instances')
                if gt is None or 'bboxes' not in gt:
                    name = sample.metainfo.get('img_path') or 'an image'
                    raise ValueError(
                        f"detector=None embeds each image's GT boxes but {name} has "
                        'none: compose a searcher with a detector (tools/'
                        'model_converters/compose_two_step.py) to search plain images')
                boxes = boxes_to_input_frame(
                    get_box_tensor(gt.bboxes).float(), sample.metainfo)
                results.append(
                    InstanceData(bboxes=boxes, scores=boxes.new_ones(len(boxes))))
            return results
        inputs, samples = self.detector_inputs(images, batch_data_samples)
        detections = self.detector.predict(inputs, samples, rescale=False)
        for sample in detections:
            pred = sample.pred_instances
            keep = pred.scores >= self.score_thr
            results.append(
                InstanceData(
                    bboxes=get_box_tensor(pred.bboxes)[keep].float(),
                    scores=pred.scores[keep]))
        return results

    def predict(self,
                batch_inputs: Union[Tensor, Sequence[Tensor]],
                batch_data_samples: SampleList,
                rescale: bool = True) -> SampleList:
        """Gallery detection and, for samples with ``query_instances``, the
        embeddings of the query boxes, all patches in one batched pass.

        Args:
            batch_inputs (Tensor | Sequence[Tensor]): Raw images.
            batch_data_samples (list[DetDataSample]): Samples; those with
                ``query_instances`` (original frame) also get query
                embeddings.
            rescale (bool): Gallery boxes in the original image frame.
                Defaults to True.

        Returns:
            list[DetDataSample]: The samples with ``pred_instances``
            (``bboxes`` (N, 4), ``scores`` (N,), ``labels`` (N,) zeros,
            ``embeddings`` (N, D)) and, where queries were given,
            ``pred_query_instances``.
        """
        images = self.extract_feat(batch_inputs)
        gallery = self.detect(images, batch_data_samples)
        queries = self.checked_query_boxes(batch_data_samples, images[0].device)
        boxes_list = [
            torch.cat([det.bboxes, q.to(det.bboxes)])
            if queries is not None else det.bboxes
            for det, q in zip(gallery, queries or [None] * len(gallery))
        ]
        embeddings = self.embed_boxes(images, boxes_list, batch_data_samples)
        for sample, det, embeds in zip(batch_data_samples, gallery, embeddings):
            boxes = det.bboxes
            if rescale:
                boxes = boxes_to_original_frame(boxes, sample.metainfo)
            sample.pred_instances = InstanceData(
                bboxes=boxes,
                scores=det.scores,
                labels=torch.zeros(len(boxes), dtype=torch.long, device=boxes.device),
                embeddings=embeds[:len(boxes)])
        if queries is not None:
            pack_query_predictions(
                batch_data_samples,
                [embeds[len(det.bboxes):] for det, embeds in zip(gallery, embeddings)])
        return batch_data_samples

    def checked_query_boxes(self, batch_data_samples: SampleList,
                            device: torch.device) -> Optional[List[Tensor]]:
        """The query boxes of each sample in the input frame, refusing a
        degenerate box.

        Args:
            batch_data_samples (list[DetDataSample]): The samples; those
                with ``query_instances`` give (Q_i, 4) boxes in the
                original frame.
            device (torch.device): Device of the returned boxes.

        Returns:
            list[Tensor] | None: As :func:`mmps.models.utils.query_boxes`.

        Raises:
            ValueError: A query box is not finite or has x2 <= x1 or
                y2 <= y1.
        """
        boxes_list = query_boxes(batch_data_samples)
        if boxes_list is None:
            return None
        for sample, boxes in zip(batch_data_samples, boxes_list):
            bad = ~torch.isfinite(boxes).all(1) | (boxes[:, 2] <= boxes[:, 0]) | (
                boxes[:, 3] <= boxes[:, 1])
            if bad.any():
                box = get_box_tensor(sample.query_instances.bboxes)[bad][0].tolist()
                raise ValueError(
                    f'query box {box} of {sample.metainfo.get("img_path")} is '
                    'degenerate: a query box needs finite x1 < x2 and y1 < y2')
        return [boxes.to(device) for boxes in boxes_list]

    def add_query_predictions(self, feats: List[Tensor],
                              batch_data_samples: SampleList) -> None:
        """Query mode: embed the (checked) query boxes, no detection.

        Args:
            feats (list[Tensor]): The raw images (:meth:`extract_feat`).
            batch_data_samples (list[DetDataSample]): The samples (changed
                in place).
        """
        boxes_list = self.checked_query_boxes(batch_data_samples, feats[0].device)
        if boxes_list is None:
            return
        embeddings = self.embed_boxes(feats, boxes_list, batch_data_samples)
        pack_query_predictions(batch_data_samples, embeddings)

    def crop_patches(self, batch_inputs: List[Tensor], boxes_list: List[Tensor],
                     batch_data_samples: SampleList) -> Tensor:
        """Cut the patches of the boxes (hook: RDLR crops differently).

        Args:
            batch_inputs (list[Tensor]): Raw (3, H_i, W_i) images.
            boxes_list (list[Tensor]): One (M_i, 4) tensor per image, input
                frame.
            batch_data_samples (list[DetDataSample]): The samples.

        Returns:
            Tensor: Raw patches, shape (sum M_i, 3, h, w).
        """
        return self.cropper(batch_inputs, boxes_list)

    def crop_masks(self, batch_inputs: List[Tensor], boxes_list: List[Tensor],
                   batch_data_samples: SampleList) -> Optional[Tensor]:
        """Foreground masks aligned with :meth:`crop_patches` (hook).

        By ``crop_cfg.mask``: None gives None; 'box' the tight box of each
        patch; 'instance' Algorithm 1 of MGTS on the sample's
        ``instance_map`` (original image size; the boxes are mapped to that
        frame and the masks mirrored when the sample was flipped), else on
        a map painted from the online ``segmentor`` run on the input image;
        a box without instance pixels takes its tight box and is counted in
        ``mask_fallbacks``.

        Args:
            batch_inputs (list[Tensor]): Raw (3, H_i, W_i) images.
            boxes_list (list[Tensor]): One (M_i, 4) tensor per image, input
                frame.
            batch_data_samples (list[DetDataSample]): The samples.

        Returns:
            Tensor | None: Masks in {0, 1}, shape (sum M_i, 1, h, w).

        Raises:
            ValueError: 'instance' masks for a sample without
                ``instance_map`` and no segmentor configured.
        """
        mode, size = self.crop_cfg.mask, self.crop_cfg.size
        gamma = self.crop_cfg.expand_ratio
        if mode is None:
            return None
        masks = []
        for image, boxes, sample in zip(batch_inputs, boxes_list, batch_data_samples):
            if mode == 'box':
                masks.append(box_masks(tuple(image.shape[-2:]), boxes, size, gamma))
                continue
            instance_map = sample.get('instance_map')
            if instance_map is not None:
                original = boxes_to_original_frame(boxes, sample.metainfo)
                image_masks, fallbacks = instance_masks(
                    torch.as_tensor(instance_map).to(boxes.device),
                    original,
                    size,
                    gamma,
                    return_fallbacks=True)
                if sample.metainfo.get('flip', False):
                    image_masks = image_masks.flip(-1)
            elif self.segmentor is not None:
                image_masks, fallbacks = instance_masks(
                    self.segment(image), boxes, size, gamma, return_fallbacks=True)
            else:
                raise ValueError(
                    "crop_cfg.mask='instance' needs an instance map: add "
                    'LoadInstanceMap to the test pipeline or configure model.segmentor')
            self.mask_fallbacks += int(fallbacks.sum())
            masks.append(image_masks)
        return torch.cat(masks)

    @torch.no_grad()
    def segment(self, image: Tensor) -> Tensor:
        """The online segmentor's instance map of one image.

        Args:
            image (Tensor): Raw image (3, H, W), the input frame.

        Returns:
            Tensor: Instance map (H, W) int32 of the person masks scoring
            at least the segmentor's ``score_thr``
            (:func:`paint_instance_map`).
        """
        height, width = image.shape[-2:]
        sample = DetDataSample(
            metainfo=dict(
                img_shape=(height, width),
                ori_shape=(height, width),
                scale_factor=(1.0, 1.0)))
        data = self.segmentor.data_preprocessor(
            dict(inputs=[image], data_samples=[sample]), False)
        pred = self.segmentor.predict(
            data['inputs'], data['data_samples'], rescale=True)[0].pred_instances
        persons = pred.labels == self.person_class
        return paint_instance_map(pred.masks[persons], pred.scores[persons],
                                  self.segmentor_score_thr)

    def embed_boxes(self, feats: List[Tensor], boxes_list: List[Tensor],
                    batch_data_samples: SampleList) -> List[Tensor]:
        """Cut, mask and embed given boxes, ``crop_batch`` patches at a
        time.

        Args:
            feats (list[Tensor]): Raw (3, H_i, W_i) images
                (:meth:`extract_feat`).
            boxes_list (list[Tensor]): One (M_i, 4) x1y1x2y2 tensor per
                image, input frame.
            batch_data_samples (list[DetDataSample]): The samples.

        Returns:
            list[Tensor]: L2-normalised (M_i, D) embeddings per image, in
            box order.
        """
        patches = self.crop_patches(feats, boxes_list, batch_data_samples)
        masks = self.crop_masks(feats, boxes_list, batch_data_samples)
        chunks = []
        for start in range(0, max(len(patches), 1), self.crop_batch):
            stop = start + self.crop_batch
            chunks.append(
                self.embed_patches(patches[start:stop],
                                   None if masks is None else masks[start:stop]))
        return list(torch.cat(chunks).split([len(b) for b in boxes_list]))

    def embed_patches(self, patches: Tensor, masks: Optional[Tensor]) -> Tensor:
        """Embed the patches of :meth:`crop_patches` (hook: RDLR's are
        normalised already).

        Args:
            patches (Tensor): Raw patches, shape (N, 3, h, w).
            masks (Tensor, optional): Their masks, shape (N, 1, h, w).

        Returns:
            Tensor: L2-normalised embeddings, shape (N, D).
        """
        return self.reid.embed(patches, masks)

    def loss(self, batch_inputs: Union[Tensor, Sequence[Tensor]],
             batch_data_samples: list) -> dict:
        """Re-ID training on packed crops (``detector=None``).

        Args:
            batch_inputs (Tensor | Sequence[Tensor]): Raw patches from
                :class:`~mmps.datasets.transforms.PackCropReIDInputs`.
            batch_data_samples (list[ReIDDataSample]): Their samples.

        Returns:
            dict[str, Tensor]: The re-ID network's losses.

        Raises:
            ValueError: A detector is configured (the two steps train
                apart), or the batch holds whole images, not crops.
        """
        if self.detector is not None:
            raise ValueError(
                'TwoStepSearcher trains only its re-ID step (detector=None): '
                'train the detector with its own config, then join the parts '
                'with tools/model_converters/compose_two_step.py')
        if any('gt_instances' in sample for sample in batch_data_samples):
            raise ValueError('TwoStepSearcher trains on person crops: use a '
                             'PersonCropDataset train dataloader (configs/_base_/'
                             'datasets/*_crops.py), not whole images')
        return self.reid(batch_inputs, batch_data_samples, mode='loss')

    def _forward(self, batch_inputs: Union[Tensor, Sequence[Tensor]],
                 batch_data_samples: SampleList) -> Tuple[Tensor, ...]:
        """Embeddings of the gallery boxes of each image (the 'tensor'
        mode, e.g. for FLOP counting).

        Returns:
            tuple[Tensor]: One (N_i, D) tensor per image.
        """
        images = self.extract_feat(batch_inputs)
        gallery = self.detect(images, batch_data_samples)
        return tuple(
            self.embed_boxes(images, [det.bboxes for det in gallery],
                             batch_data_samples))
