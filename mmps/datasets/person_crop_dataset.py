"""PersonCropDataset: one item per GT box, for training crop re-ID networks."""
from typing import List

from mmdet.registry import DATASETS

from .person_search_dataset import PersonSearchDataset


@DATASETS.register_module()
class PersonCropDataset(PersonSearchDataset):
    """The training split of a person-search file, one item per GT box:
    the re-ID step of the two-step family (MGTS, RDLR) trains on these.

    Each item is its image's data info (every instance kept, so an
    instance map or mask of the whole image can be built) plus
    ``crop_index``, the instance to cut, and its ``person_id`` (contiguous
    label, -1 unlabelled: unlabelled boxes are items too, as OIM's queue
    needs them). ``metainfo['num_person_ids']`` is the image dataset's.
    The pipeline loads the image and annotations, resizes as the detector
    does, then :class:`~mmps.datasets.transforms.CropPersonPatch` cuts item
    ``crop_index``.

    mmdet's ``ReIDDataset`` reads one image file per person (a
    ``filename label`` list); here the persons are boxes of whole scenes,
    cut in the pipeline, so that patches share the detector's scale.

    Args:
        *args, **kwargs: See :class:`PersonSearchDataset`; ``test_mode``
            must be False.

    Raises:
        ValueError: ``test_mode=True`` (the re-ID step is tested through
            ``TwoStepSearcher`` on the image dataset).
    """

    def __init__(self, *args, **kwargs) -> None:
        if kwargs.get('test_mode', False):
            raise ValueError(
                'PersonCropDataset is a training set: test the re-ID step '
                'with PersonSearchDataset and TwoStepSearcher(detector=None) '
                '(configs/_base_/datasets/*_crops.py)')
        super().__init__(*args, **kwargs)

    def get_person_ids(self) -> List[int]:
        """The ``person_id`` of every item, -1 unlabelled, without loading
        images (for :class:`~mmps.datasets.samplers.IdentitySampler`).

        Returns:
            list[int]: One id per item, in item order.
        """
        return [self.get_data_info(i)['person_id'] for i in range(len(self))]

    def load_data_list(self) -> List[dict]:
        """One data info per GT box of the images the base class keeps."""
        return [
            dict(info, crop_index=k, person_id=inst['person_id'])
            for info in super().load_data_list()
            for k, inst in enumerate(info['instances'])
        ]
