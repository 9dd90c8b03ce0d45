"""The diagnosis engine: context gathering, the offline rule engine, the optional LLM engine.

Entry points: rca.run.fault_diagnose / log_excerpt_diagnose (store the answer),
diagnosis_result (compute it). The result structure is described in result.py.
"""
