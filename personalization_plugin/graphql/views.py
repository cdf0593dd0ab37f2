"""A ready GraphQL endpoint (with GraphiQL) for stores that have none.

    path("graphql/", include("personalization_plugin.graphql.urls"))

serves GRAPHENE["SCHEMA"] when set (a store's schema with the mixins), else the
plugin's own `schema.schema` (just the mixins). It applies the plugin's limits (`limits.py`), hides internal error details, copies
cookies set by mutations (consent) onto the response, and never answers 500.
A store with its own schema passes it: `PersonalizationGraphQLView.as_view(schema=...)`.
"""

from __future__ import annotations

import logging
from typing import Any

from django.http import (
    HttpRequest,
    HttpResponse,
    HttpResponseBadRequest,
    HttpResponseNotAllowed,
    JsonResponse,
)
from django.middleware.csrf import CsrfViewMiddleware
from django.utils.decorators import method_decorator
from django.views.decorators.csrf import csrf_exempt
from graphene_django.settings import graphene_settings
from graphene_django.views import GraphQLView, HttpError
from graphql import ExecutionResult, GraphQLError, OperationType, execute, get_operation_ast

from personalization_plugin.core.exceptions import PersonalizationError
from personalization_plugin.graphql.limits import check_query_length, validated_document
from personalization_plugin.graphql.schema import RESPONSE_COOKIES_ATTR, RESPONSE_COOKIES_DONE_ATTR

logger = logging.getLogger("personalization_plugin.graphql")
INTERNAL_ERROR = "Internal error; it has been logged. Try again later."
# Bodies another site's HTML form can send with the shopper's cookies. JSON needs a CORS
# preflight the store never grants, so only these are checked for Django's CSRF token
# (the view is otherwise CSRF-exempt for headless clients).
FORM_CONTENT_TYPES = {"application/x-www-form-urlencoded", "multipart/form-data", "text/plain"}


def _forgeable_without_csrf_token(request: HttpRequest) -> bool:
    """A POST another site could forge (a form body) without a valid CSRF token, so that
    e.g. `setConsent(granted: false)`, which erases the shopper's data, cannot be forged."""
    if request.method != "POST" or request.content_type not in FORM_CONTENT_TYPES:
        return False
    rejection = CsrfViewMiddleware(lambda r: HttpResponse()).process_view(request, None, (), {})  # type: ignore[arg-type]
    return rejection is not None


@method_decorator(csrf_exempt, name="dispatch")
class PersonalizationGraphQLView(GraphQLView):
    """graphene-django's view with the plugin's limits and safe error reporting."""

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
                            "message": "CSRF check failed: send the operation as application/json, "
                            "or include Django's CSRF token with a form post."
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

    def execute_graphql_request(
        self,
        request: HttpRequest,
        data: Any,
        query: str | None,
        variables: Any,
        operation_name: str | None,
        show_graphiql: bool = False,
    ) -> ExecutionResult | None:
        """graphene-django's execution, with parsing and validation cached per query text
        (a storefront sends the same few queries over and over) and never a 500."""
        if not query:
            if show_graphiql:
                return None
            raise HttpError(HttpResponseBadRequest("Must provide query string."))
        if not isinstance(query, str) or not isinstance(operation_name, str | None):
            raise HttpError(
                HttpResponseBadRequest("query and operationName must be strings (JSON text).")
            )
        try:
            check_query_length(query)
            document, errors = validated_document(self.schema.graphql_schema, query)
        except GraphQLError as exc:
            return ExecutionResult(data=None, errors=[exc])
        if errors:
            return ExecutionResult(data=None, errors=list(errors))
        operation = get_operation_ast(document, operation_name)
        if request.method and request.method.lower() == "get":
            if operation is not None and operation.operation != OperationType.QUERY:
                if show_graphiql:
                    return None
                raise HttpError(
                    HttpResponseNotAllowed(
                        ["POST"],
                        f"Can only perform a {operation.operation.value} operation from a POST request.",
                    )
                )
        try:
            result = execute(
                self.schema.graphql_schema,
                document,
                root_value=self.get_root_value(request),
                context_value=self.get_context(request),
                variable_values=variables,
                operation_name=operation_name,
                middleware=self.get_middleware(request),
                execution_context_class=self.execution_context_class,
            )
            if not isinstance(result, ExecutionResult):  # only async resolvers return awaitables
                raise TypeError("Async resolvers are not supported by this synchronous view.")
            return result
        except Exception as exc:
            logger.exception("GraphQL execution failed.")
            return ExecutionResult(
                data=None, errors=[GraphQLError(INTERNAL_ERROR, original_error=exc)]
            )

    @staticmethod
    def format_error(error: Any) -> dict[str, Any]:
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
