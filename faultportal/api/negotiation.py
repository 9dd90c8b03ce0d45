from rest_framework.exceptions import NotAcceptable
from rest_framework.negotiation import DefaultContentNegotiation


class JSONFallbackNegotiation(DefaultContentNegotiation):
    """Answer in JSON when the client asks for a type we cannot render.

    Flume's HTTP sink sends `Accept: text/plain`. A 406 would be a 4xx with a body, which the
    recommended agent configuration drops: every line would be lost. The JSON answer is
    still readable in the agent's log.
    """

    def select_renderer(self, request, renderers, format_suffix=None):
        try:
            return super().select_renderer(request, renderers, format_suffix)
        except NotAcceptable:
            return renderers[0], renderers[0].media_type
