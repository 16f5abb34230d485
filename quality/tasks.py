from celery import shared_task


@shared_task
def sample_create_daily_task():
    """Pick yesterday's work for quality inspection; a second run the same day does nothing."""
    from .services import sample_create_daily

    sample = sample_create_daily()
    return sample.size if sample else 0
