"""The LLM diagnosis job, run by the background worker (`manage.py notify`, jobs/worker.py).

`diagnosis_queue` (rca/run.py) commits a pending row in `diagnoses` and a job of kind
`rca.llm_diagnose`; RcaConfig.ready registers `llm_diagnosis_job` for that kind with jobs'
registry: the same durable queue and worker as notifications, so several workers are safe
(a job is claimed by one, under a lease the heartbeat renews while the model thinks).

The handler is not atomic: it waits for an HTTP answer, which must not hold a transaction
open. A repeat is harmless: it only writes a diagnosis that is still pending.
"""

import logging
import traceback

from diagnosis.models import Diagnosis
from rca.run import pending_diagnosis_compute, pending_diagnosis_fail, pending_diagnosis_finish

logger = logging.getLogger(__name__)

# An LLM failure is not a job failure (the rules answer, with llm_error): attempts are for the
# unexpected (the database went away mid-way, a bug). After the last one the row says failed.
MAX_ATTEMPTS = 3


def llm_diagnosis_job(job) -> None:
    diagnosis_id = job.payload.get("diagnosis_id")
    diagnosis = (
        Diagnosis.objects.select_related("fault", "incident")
        .filter(pk=diagnosis_id, state=Diagnosis.State.PENDING)
        .first()
    )
    if diagnosis is None:
        return  # finished by another worker, or its fault/incident was deleted meanwhile
    try:
        result = pending_diagnosis_compute(diagnosis)
        pending_diagnosis_finish(diagnosis_id=diagnosis.pk, result=result)
    except Exception as exc:
        if job.attempts >= job.max_attempts:
            error = "".join(traceback.format_exception_only(type(exc), exc)).strip()
            logger.error("diagnosis %s failed for good: %s", diagnosis.pk, error)
            pending_diagnosis_fail(diagnosis_id=diagnosis.pk, error=error)
        raise
