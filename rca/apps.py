from django.apps import AppConfig


class RcaConfig(AppConfig):
    """The diagnosis engine: context, rules, metric and text checks, the LLM, /api/llm/diagnose."""

    name = "rca"
    verbose_name = "Diagnosis engine"

    def ready(self):
        from jobs.registry import job_handler_register
        from rca.background import MAX_ATTEMPTS, llm_diagnosis_job
        from rca.run import LLM_JOB_KIND

        # LLM diagnoses run in the background worker (manage.py notify), never in gunicorn;
        # one per pass, so a slow model never holds a batch of notifications behind it.
        job_handler_register(
            LLM_JOB_KIND,
            llm_diagnosis_job,
            atomic=False,
            max_attempts=MAX_ATTEMPTS,
            claim_limit=1,
        )
