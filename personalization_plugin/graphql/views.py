"""A ready GraphQL endpoint (with GraphiQL) for stores that have none.

    path("graphql/", include("personalization_plugin.graphql.urls"))

serves GRAPHENE["SCHEMA"] when set (a store's schema with the mixins), else the
plugin's own `schema.schema` (just the mixins). It is graphene-django's GraphQLView
with the plugin's limits as validation rules (`limits.py`), the query length checked
before parsing, JSON bodies and variables read with a size and depth limit
(`core.json_body`), the response size capped, a CSRF token required for every POST that
is not JSON, internal error details hidden, cookies set by mutations (consent)
copied onto the response, and never a 500.
A store with its own schema passes it: `PersonalizationGraphQLView.as_view(schema=...)`.
"""

from __future__ import annotations

import logging
from inspect import isawaitable
from typing import Any

from django.http import (
    HttpRequest,
    HttpResponse,
    HttpResponseBadRequest,
    JsonResponse,
)
from django.middleware.csrf import CsrfViewMiddleware
from django.utils.decorators import method_decorator
from django.utils.translation import gettext
from django.views.decorators.csrf import csrf_exempt
from graphene_django.settings import graphene_settings
from graphene_django.views import GraphQLView, HttpError
from graphql import ExecutionResult, GraphQLError

from personalization_plugin.core.exceptions import PersonalizationError
from personalization_plugin.core.json_body import JsonBodyError, check_depth, loads, read_json
from personalization_plugin.graphql.limits import check_query_length, check_response_size
from personalization_plugin.graphql.limits import validation_rules as plugin_validation_rules
from personalization_plugin.graphql.schema import RESPONSE_COOKIES_ATTR, RESPONSE_COOKIES_DONE_ATTR

logger = logging.getLogger("personalization_plugin.graphql")
INTERNAL_ERROR = "Internal error; it has been logged. Try again later."
# The one body another site cannot make a shopper's browser send: JSON needs a CORS
# preflight the store never grants. Every other POST (a form, text/plain, no Content-Type
# at all, application/graphql) is checked for Django's CSRF token: default deny. The
# view is otherwise CSRF-exempt, for headless clients that post JSON.
TOKEN_FREE_CONTENT_TYPE = "application/json"
# A GraphQL body is a query (GRAPHQL_MAX_QUERY_LENGTH characters) and its variables;
# anything near a megabyte is not a storefront's request.
MAX_BODY_BYTES = 1_048_576
CSRF_FAILED = (
    "CSRF check failed: send the operation as application/json, "
    "or include Django's CSRF token with any other POST."
)


def _forgeable_without_csrf_token(request: HttpRequest) -> bool:
    """A POST that is not JSON and carries no valid CSRF token, so that e.g.
    `setConsent(granted: false)`, which erases the shopper's data, cannot be forged by
    another site's form, nor by a bare `POST /graphql/?query=mutation...`. GET never
    runs a mutation (graphene-django answers 405)."""
    if request.method != "POST" or request.content_type == TOKEN_FREE_CONTENT_TYPE:
        return False
    rejection = CsrfViewMiddleware(lambda r: HttpResponse()).process_view(request, None, (), {})  # type: ignore[arg-type]
    return rejection is not None


def _bad_json(exc: JsonBodyError) -> HttpError:
    return HttpError(HttpResponse(status=exc.status), exc.message)


@method_decorator(csrf_exempt, name="dispatch")
class PersonalizationGraphQLView(GraphQLView):
    """graphene-django's view with the plugin's limits and safe error reporting."""

    validation_rules = plugin_validation_rules()
    # GraphiQL from the plugin's vendored static files, not graphene-django's CDN links.
    graphiql_template = "personalization_plugin/graphql/graphiql.html"

    def __init__(self, schema: Any = None, **kwargs: Any) -> None:
        if schema is None and graphene_settings.SCHEMA is None:
            # No GRAPHENE["SCHEMA"]: serve the plugin's own schema (just the mixins).
            from personalization_plugin.graphql.schema import schema as plugin_schema

            schema = plugin_schema
        super().__init__(schema=schema, **kwargs)

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if _forgeable_without_csrf_token(request):
            return JsonResponse(
                {
                    "errors": [
                        {
                            "message": CSRF_FAILED,
                        }
                    ]
                },
                status=403,
            )
        response = super().dispatch(request, *args, **kwargs)
        for cookie in (getattr(request, RESPONSE_COOKIES_ATTR, None) or {}).values():
            response.cookies[cookie.key] = cookie
        if getattr(request, RESPONSE_COOKIES_DONE_ATTR, False):
            response._personalization_cookies_done = True  # type: ignore[attr-defined]
        return response

    def parse_body(self, request: HttpRequest) -> Any:
        """A JSON body through the plugin's one reader (size, UTF-8, depth); other
        content types as graphene-django reads them."""
        if self.get_content_type(request) != TOKEN_FREE_CONTENT_TYPE:
            return super().parse_body(request)
        try:
            data = read_json(request.body, max_bytes=MAX_BODY_BYTES)
        except JsonBodyError as exc:
            raise _bad_json(exc) from None
        if self.batch:
            if not isinstance(data, list) or not data:
                raise HttpError(HttpResponseBadRequest("Send a non-empty list of operations."))
        elif not isinstance(data, dict):
            raise HttpError(HttpResponseBadRequest("The received data is not a valid JSON query."))
        return data

    @staticmethod
    def get_graphql_params(request: HttpRequest, data: Any) -> Any:
        """graphene-django's, after `variables` passed the depth limit (as JSON text in
        the URL or a form field, or as the body's object)."""
        variables = request.GET.get("variables") or data.get("variables")
        what = gettext("The variables")
        try:
            if isinstance(variables, str):
                loads(variables, what=what)
            elif variables:
                check_depth(variables, what=what)
        except JsonBodyError as exc:
            raise _bad_json(exc) from None
        return GraphQLView.get_graphql_params(request, data)

    def get_response(self, request: HttpRequest, data: Any, show_graphiql: bool = False) -> Any:
        """graphene-django's answer, refused when longer than GRAPHQL_MAX_RESPONSE_BYTES."""
        result, status_code = super().get_response(request, data, show_graphiql)
        if result is not None:
            try:
                check_response_size(len(result.encode()))
            except GraphQLError as exc:
                result = self.json_encode(request, {"errors": [self.format_error(exc)]})
                status_code = 400
        return result, status_code

    def execute_graphql_request(
        self,
        request: HttpRequest,
        data: Any,
        query: Any,
        variables: Any,
        operation_name: Any,
        show_graphiql: bool = False,
    ) -> ExecutionResult | None:
        """graphene-django's parsing, validation (with `validation_rules`) and execution,
        after the checks that must come before parsing: the query and operation name
        are strings, and the query is no longer than GRAPHQL_MAX_QUERY_LENGTH."""
        if (query and not isinstance(query, str)) or not isinstance(operation_name, str | None):
            raise HttpError(
                HttpResponseBadRequest("query and operationName must be strings (JSON text).")
            )
        if query:
            try:
                check_query_length(query)
            except GraphQLError as exc:
                return ExecutionResult(data=None, errors=[exc])
        result = super().execute_graphql_request(
            request, data, query, variables, operation_name, show_graphiql
        )
        if isawaitable(result):  # only async resolvers return awaitables
            close = getattr(result, "close", None)
            if callable(close):
                close()
            logger.error("An async resolver ran under the synchronous GraphQL view.")
            return ExecutionResult(data=None, errors=[GraphQLError(INTERNAL_ERROR)])
        return result  # type: ignore[no-any-return]

    @staticmethod
    def format_error(error: Any) -> dict[str, Any]:
        """The error as the client sees it: the request's own mistakes (HttpError, a
        GraphQLError or PersonalizationError) verbatim, anything else hidden and logged."""
        if isinstance(error, HttpError):
            return {"message": str(error.message)}
        if isinstance(error, GraphQLError):
            original = error.original_error
            if original is not None and not isinstance(
                original, GraphQLError | PersonalizationError
            ):
                logger.error("GraphQL resolver error", exc_info=original)
                return {**error.formatted, "message": INTERNAL_ERROR}
            return dict(error.formatted)
        logger.error("GraphQL error", exc_info=error)
        return {"message": INTERNAL_ERROR}
