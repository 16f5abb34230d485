from datetime import datetime
from zoneinfo import ZoneInfo

SH = ZoneInfo("Asia/Shanghai")


def at(y, mo, d, h=10, mi=0):
    """An aware moment in the department's zone."""
    return datetime(y, mo, d, h, mi, tzinfo=SH)
