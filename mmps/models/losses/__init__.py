from .oim_loss import OIMLoss
from .pcnet_triplet_loss import PCNetTripletLoss
from .proxy_triplet_loss import ProxyTripletLoss

__all__ = ['OIMLoss', 'PCNetTripletLoss', 'ProxyTripletLoss']
