"""A prelude for crash tests' subprocesses: the process kills itself with SIGKILL in the middle of a campaign."""

from __future__ import annotations


def dies_after_donations(count_argument: int) -> str:
    """Return Python source that SIGKILLs its process once the Nth donation is written, before it commits.

    N is `sys.argv[count_argument]`; run the source before the code that runs the campaign.
    """
    return f"""
import os, signal, sys
from mileage.donations import donate

real_record_donation = donate.record_donation
written = []

def record_then_die(session, **values):
    donation = real_record_donation(session, **values)
    written.append(donation.id)
    if len(written) == int(sys.argv[{count_argument}]):
        os.kill(os.getpid(), signal.SIGKILL)
    return donation

donate.record_donation = record_then_die
"""
