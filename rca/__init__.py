"""The diagnosis engine: context gathering, the offline rule engine, the optional LLM engine.

Entry points: rca.run.fault_diagnose / incident_diagnose / log_excerpt_diagnose (the rules,
stored at once), rca.run.diagnosis_queue (the LLM, run by the background worker through
rca/background.py), diagnosis_result (compute it). The result structure is described in result.py.
"""
