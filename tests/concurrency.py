"""Run one callable from several threads released at the same instant (a barrier), each on its own database
connection: the races the PostgreSQL row locks and unique constraints must win."""
import threading

from django.db import connection


def run_at_once(n, target, timeout=120):
    """Call target(i) for i in range(n) at once; returns (results, errors) for the test to assert on."""
    barrier = threading.Barrier(n)
    results, errors = [], []

    def worker(i):
        try:
            barrier.wait()
            results.append(target(i))
        except Exception as exc:  # collected and asserted on by the caller
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout)
    return results, errors
