from django.apps import AppConfig


class RcaConfig(AppConfig):
    """The diagnosis engine: context, rules, metric and text checks, the LLM, /api/llm/diagnose."""

    name = "rca"
    verbose_name = "Diagnosis engine"
