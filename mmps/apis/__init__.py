"""Person-search inference: build a searcher, index a gallery, search it."""
from .demo import DEMO_CONFIG, DemoArgumentError, run_demo
from .gallery_index import GalleryIndex
from .images import build_image_pipeline, check_image_file, list_images, read_image
from .index_gallery import index_gallery
from .model_fingerprint import ModelFingerprint, model_fingerprint
from .search import SearchHit, check_query_box, embed_query, search
from .searcher import init_searcher

__all__ = [
    'init_searcher', 'index_gallery', 'GalleryIndex', 'search', 'SearchHit',
    'embed_query', 'check_query_box', 'list_images', 'read_image', 'check_image_file',
    'build_image_pipeline', 'ModelFingerprint', 'model_fingerprint', 'run_demo',
    'DemoArgumentError', 'DEMO_CONFIG'
]
