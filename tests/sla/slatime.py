"""Pinned moments in the department's zone for SLA tests."""
from datetime import datetime
from zoneinfo import ZoneInfo

SH = ZoneInfo("Asia/Shanghai")


def at(y, m, d, hh=0, mm=0, ss=0, tz=SH) -> datetime:
    return datetime(y, m, d, hh, mm, ss, tzinfo=tz)
