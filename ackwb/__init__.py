"""ackwb: follow a request from a domain to a Pod on Alibaba Cloud ACK, hop by hop."""

from ackwb.workbook import Workbook

__all__ = ["Workbook"]
__version__ = "0.1.0"
