"""An OpenAI-compatible chat-completions server on loopback, for the LLM engine's tests.

It records every request it receives (path, headers, JSON body) and answers according to
`behaviour`, which a test may change between requests.
"""

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

VALID_REPLY = {
    "summary": "The NameNode on nn01 paused for 52 s in garbage collection; its ZooKeeper "
    "session expired meanwhile and the standby took over.",
    "probable_causes": [
        {
            "title": "Old-generation GC pause on nn01 longer than the ZooKeeper session timeout",
            "confidence": 0.9,
            "explanation": "The pause monitor line shows a 52 s CMS collection 40 s before the "
            "session expired.",
            "fault_type": "jvm_long_pause",
            "evidence_refs": ["F1", "L2", "L999"],
        },
        {
            "title": "ZooKeeper overloaded",
            "confidence": 0.1,
            "explanation": "Nothing in the data points at ZooKeeper itself.",
            "fault_type": "not_a_catalogue_type",
        },
    ],
    "remediation": [
        "Move the NameNode to G1 with -XX:MaxGCPauseMillis=200 and check its heap sizing.",
        "Verify exactly one active NameNode: hdfs haadmin -getServiceState nn1.",
    ],
}


def completion(content: str) -> dict:
    return {
        "id": "chatcmpl-test",
        "object": "chat.completion",
        "model": "test-model",
        "choices": [
            {
                "index": 0,
                "message": {"role": "assistant", "content": content},
                "finish_reason": "stop",
            }
        ],
    }


class _QuietServer(ThreadingHTTPServer):
    def handle_error(self, request, client_address):
        pass  # a client that gave up (the timeout test) breaks the pipe: expected


class FakeLLM:
    """behaviour: "valid", "fenced", "prose", "invalid_schema", "sleep", "http_500",
    "echo_auth_401", "reject_response_format"."""

    def __init__(self):
        self.requests: list[dict] = []
        self.answered = 0  # requests answered so far (a sleeping one is received, not answered)
        self.behaviour = "valid"
        self.sleep_seconds = 3.0
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):  # keep the test output clean
                pass

            def do_POST(self):
                length = int(self.headers.get("Content-Length") or 0)
                body = json.loads(self.rfile.read(length) or b"{}")
                fake.requests.append(
                    {"path": self.path, "headers": dict(self.headers), "body": body}
                )
                try:
                    fake.answer(self, body)
                finally:
                    fake.answered += 1

        self.server = _QuietServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.thread = threading.Thread(
            target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/v1"

    def start(self) -> "FakeLLM":
        self.thread.start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def _send(self, handler, status: int, payload: dict) -> None:
        data = json.dumps(payload).encode()
        handler.send_response(status)
        handler.send_header("Content-Type", "application/json")
        handler.send_header("Content-Length", str(len(data)))
        handler.end_headers()
        handler.wfile.write(data)

    def answer(self, handler, body: dict) -> None:
        behaviour = self.behaviour
        if behaviour == "sleep":
            time.sleep(self.sleep_seconds)
            behaviour = "valid"
        if behaviour == "valid":
            self._send(handler, 200, completion(json.dumps(VALID_REPLY)))
        elif behaviour == "fenced":
            text = f"Here is my analysis:\n```json\n{json.dumps(VALID_REPLY, indent=2)}\n```"
            self._send(handler, 200, completion(text))
        elif behaviour == "prose":
            self._send(handler, 200, completion("The cluster looks fine to me, nothing to do."))
        elif behaviour == "invalid_schema":
            reply = {**VALID_REPLY, "probable_causes": [{"title": "x", "confidence": 7}]}
            self._send(handler, 200, completion(json.dumps(reply)))
        elif behaviour == "http_500":
            self._send(handler, 500, {"error": {"message": "model crashed"}})
        elif behaviour == "echo_auth_401":
            auth = handler.headers.get("Authorization", "")
            self._send(handler, 401, {"error": {"message": f"bad key in header {auth}"}})
        elif behaviour == "reject_response_format":
            if "response_format" in body:
                self._send(
                    handler,
                    400,
                    {"error": {"message": "Unrecognized request argument: response_format"}},
                )
            else:
                self._send(handler, 200, completion(json.dumps(VALID_REPLY)))
        else:
            raise AssertionError(f"unknown behaviour {behaviour}")
