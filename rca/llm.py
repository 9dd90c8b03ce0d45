"""The optional LLM engine: any OpenAI-compatible chat-completions server.

LLM_BASE_URL is the API's base URL including its version, as the openai SDK's base_url
(http://vllm:8000/v1, http://ollama:11434/v1, https://api.openai.com/v1); requests go to
{LLM_BASE_URL}/chat/completions with LLM_MODEL and, when set, `Authorization: Bearer
LLM_API_KEY`. The standard library's urllib is enough for one JSON POST; redirects are refused
(a redirect would carry the key elsewhere) and the key is never logged or put in an error.

The reply must be the JSON object the system prompt describes. `response_format: json_object`
is asked for; a server that rejects the field is asked again without it, and a reply wrapped in
prose or a ```json fence is still read. Anything that fails — connection, HTTP status,
timeout, unreadable or invalid reply — raises LLMError, and the caller returns the rule result.
"""

import contextlib
import copy
import json
import re
import time
import urllib.error
import urllib.request

from django.conf import settings

from rca.context import DiagnosisContext
from rca.prompt import prompt_build
from rca.result import InvalidResult, llm_reply_validate, result_validate

MAX_RESPONSE_BYTES = 1024 * 1024
_FENCE = re.compile(r"^\s*```(?:json)?\s*(.*?)\s*```\s*$", re.DOTALL)


class LLMError(Exception):
    """Why the LLM's answer was not used; safe to show (no key, no URL credentials)."""


class _HTTPStatusError(LLMError):
    def __init__(self, status: int, detail: str):
        self.status, self.detail = status, detail
        super().__init__(f"the LLM server answered HTTP {status}: {detail[:200]}".rstrip(": "))


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, req, fp, code, msg, headers, newurl):
        raise urllib.error.HTTPError(req.full_url, code, f"redirect refused ({code})", headers, fp)


_opener = urllib.request.build_opener(_NoRedirect())


def llm_enabled() -> bool:
    return bool(settings.LLM_BASE_URL)


def chat_completions_url() -> str:
    return settings.LLM_BASE_URL.rstrip("/") + "/chat/completions"


def _safe(text: str) -> str:
    key = settings.LLM_API_KEY
    return text.replace(key, "***") if key else text


def _read_body(response, deadline: float) -> bytes:
    chunks, size = [], 0
    while True:
        if time.monotonic() > deadline:
            raise LLMError(f"the LLM server did not answer within {settings.LLM_TIMEOUT:g} s")
        chunk = response.read(65536)
        if not chunk:
            return b"".join(chunks)
        size += len(chunk)
        if size > MAX_RESPONSE_BYTES:
            raise LLMError("the LLM server's answer is larger than 1 MiB")
        chunks.append(chunk)


def _post(payload: dict) -> dict:
    headers = {
        "Content-Type": "application/json",
        "Accept": "application/json",
        "User-Agent": "faultportal-diagnosis",
    }
    if settings.LLM_API_KEY:
        headers["Authorization"] = f"Bearer {settings.LLM_API_KEY}"
    request = urllib.request.Request(
        chat_completions_url(),
        data=json.dumps(payload).encode("utf-8"),
        headers=headers,
        method="POST",
    )
    timeout = settings.LLM_TIMEOUT
    deadline = time.monotonic() + timeout
    try:
        with _opener.open(request, timeout=timeout) as response:
            body = _read_body(response, deadline)
    except urllib.error.HTTPError as exc:
        detail = ""
        with contextlib.suppress(Exception):  # the error body is a courtesy
            detail = exc.read(2000).decode("utf-8", "replace")
        raise _HTTPStatusError(exc.code, _safe(detail)) from None
    except TimeoutError:
        raise LLMError(f"the LLM server did not answer within {timeout:g} s") from None
    except urllib.error.URLError as exc:
        if isinstance(exc.reason, TimeoutError):
            raise LLMError(f"the LLM server did not answer within {timeout:g} s") from None
        raise LLMError(_safe(f"cannot connect to the LLM server: {exc.reason}")) from None
    except (OSError, ValueError) as exc:  # reset connections, malformed URLs, bad chunking
        raise LLMError(_safe(f"cannot talk to the LLM server: {exc}")) from None
    try:
        return json.loads(body.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError):
        raise LLMError("invalid output: the LLM server's answer is not JSON") from None


def llm_chat(messages: list[dict]) -> str:
    """The assistant message's content for `messages`, asking for a JSON object."""
    payload = {
        "model": settings.LLM_MODEL,
        "messages": messages,
        "temperature": 0,
        "response_format": {"type": "json_object"},
    }
    try:
        answer = _post(payload)
    except _HTTPStatusError as exc:
        # Some servers reject response_format outright: ask once more without it.
        if exc.status not in (400, 422) or "response_format" not in exc.detail:
            raise
        payload.pop("response_format")
        answer = _post(payload)
    try:
        content = answer["choices"][0]["message"]["content"]
    except (KeyError, IndexError, TypeError):
        raise LLMError("invalid output: no choices[0].message.content in the answer") from None
    if not isinstance(content, str) or not content.strip():
        raise LLMError("invalid output: the model's message is empty")
    return content


def reply_parse(content: str) -> dict:
    """The JSON object in the model's message: bare, fenced, or inside some prose."""
    text = content.strip()
    if fence := _FENCE.match(text):
        text = fence[1]
    try:
        return json.loads(text)
    except json.JSONDecodeError:
        pass
    start, end = text.find("{"), text.rfind("}")
    if start != -1 and end > start:
        try:
            return json.loads(text[start : end + 1])
        except json.JSONDecodeError:
            pass
    raise LLMError("invalid output: the model's message holds no JSON object")


def _merge(ctx: DiagnosisContext, rules_result: dict, reply: dict) -> dict:
    """The rule result with the model's summary, causes and steps; evidence stays the rules'."""
    evidence = rules_result["evidence"]
    known_refs = {
        item["ref"] for key in ("log_lines", "metrics", "related_faults") for item in evidence[key]
    }
    result = copy.deepcopy(rules_result)
    causes = []
    for cause in reply["probable_causes"]:
        code = cause.get("fault_type")
        causes.append(
            {
                **cause,
                # The model may only point at catalogue types and at evidence it was shown.
                "fault_type": code if code and ctx.catalogue.get(code) else None,
                "evidence_refs": [ref for ref in cause["evidence_refs"] if ref in known_refs],
            }
        )
    causes.sort(key=lambda c: -c["confidence"])
    result.update(
        engine="llm",
        model=settings.LLM_MODEL or None,
        llm_error=None,
        summary=reply["summary"],
        probable_causes=causes,
        remediation=reply["remediation"],
    )
    return result


def llm_diagnose(ctx: DiagnosisContext, rules_result: dict) -> dict:
    """The LLM's diagnosis in the result structure, or LLMError saying why not."""
    if not settings.LLM_MODEL:
        raise LLMError("LLM_MODEL is not set")
    prompt = prompt_build(ctx, rules_result)
    content = llm_chat(prompt.messages)
    try:
        reply = llm_reply_validate(reply_parse(content))
        return result_validate(_merge(ctx, rules_result, reply))
    except InvalidResult as exc:
        raise LLMError(f"invalid output: {exc}"[:1000]) from None
