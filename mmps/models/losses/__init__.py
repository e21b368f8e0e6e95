from .oim_loss import OIMLoss

__all__ = ['OIMLoss']
