"""Limits that keep a public GraphQL endpoint cheap to run: depth, aliases, field count,
query length, page size (`first`), response size and, for production, no introspection.

Depth, aliases, field count and introspection are graphql-core `ValidationRule`s, so
graphene-django's own view rejects an abusive query before any resolver runs, with an
error that says which limit was hit; the query length is checked before parsing and
`first` by the resolvers, the response size by the view. A store serving the mixins from its own view passes
`validation_rules()`.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from django.conf import settings
from graphql import (
    ASTValidationRule,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLError,
    InlineFragmentNode,
    OperationDefinitionNode,
    SelectionSetNode,
    ValidationContext,
    specified_rules,
)
from graphql.validation.rules.custom.no_schema_introspection import (
    NoSchemaIntrospectionCustomRule,
)

from personalization_plugin.core.conf import plugin_settings

DEFAULT_FIRST = 8


class FirstTooLarge(GraphQLError):
    """A `first` argument above GRAPHQL_MAX_FIRST."""


def check_first(first: int | None, default: int = DEFAULT_FIRST) -> int:
    """The page size to serve; raises a GraphQLError naming the limit when out of range."""
    limit = plugin_settings.GRAPHQL_MAX_FIRST
    if first is None:
        return min(default, limit)
    if first < 1:
        raise GraphQLError(f"first must be at least 1, got {first}.")
    if first > limit:
        raise FirstTooLarge(
            f"first may be at most {limit}, got {first}. Ask for fewer items "
            "(PERSONALIZATION['GRAPHQL_MAX_FIRST'] sets the limit)."
        )
    return first


def _fields(
    selection_set: SelectionSetNode | None,
    fragments: dict[str, FragmentDefinitionNode],
    depth: int,
    seen: frozenset[str],
    introspection: bool = False,
) -> Iterator[tuple[FieldNode, int]]:
    """Every field under a selection set with its depth, introspection included (`__schema`
    and `__type` answer from the schema, and aliasing their subfields multiplies the
    answer as surely as aliasing a resolver), expanding fragments once per path (cycles
    are another rule's error; here they just stop the walk).

    Inside introspection an `ofType` adds no depth: it is a chain of single objects (a
    list of non-null X is three links), which every GraphQL client's standard
    introspection query follows several links deep, and which cannot fan out."""
    if selection_set is None:
        return
    for selection in selection_set.selections:
        if isinstance(selection, FieldNode):
            yield selection, depth
            name = selection.name.value
            inner = introspection or name.startswith("__")
            step = 0 if introspection and name == "ofType" else 1
            yield from _fields(selection.selection_set, fragments, depth + step, seen, inner)
        elif isinstance(selection, InlineFragmentNode):
            yield from _fields(selection.selection_set, fragments, depth, seen, introspection)
        elif isinstance(selection, FragmentSpreadNode):
            name = selection.name.value
            fragment = fragments.get(name)
            if fragment is not None and name not in seen:
                yield from _fields(
                    fragment.selection_set, fragments, depth, seen | {name}, introspection
                )


class QueryLimitsRule(ASTValidationRule):
    """Depth, field-count and alias limits from PERSONALIZATION['GRAPHQL_MAX_*'].

    Walks each operation once and reports the first limit it exceeds."""

    def enter_operation_definition(self, node: OperationDefinitionNode, *_: Any) -> None:
        context: ValidationContext = self.context  # type: ignore[assignment]
        fragments = {
            d.name.value: d
            for d in context.document.definitions
            if isinstance(d, FragmentDefinitionNode)
        }
        max_depth = plugin_settings.GRAPHQL_MAX_DEPTH
        max_fields = plugin_settings.GRAPHQL_MAX_FIELDS
        max_aliases = plugin_settings.GRAPHQL_MAX_ALIASES
        name = node.name.value if node.name else "anonymous"
        fields = aliases = 0
        for field, depth in _fields(node.selection_set, fragments, 1, frozenset()):
            if depth > max_depth:
                self.report_error(
                    GraphQLError(
                        f"Operation '{name}' is nested {depth} levels deep; the limit is "
                        f"{max_depth}. Split it into several queries.",
                        field,
                    )
                )
                return
            fields += 1
            if fields > max_fields:
                self.report_error(
                    GraphQLError(
                        f"Operation '{name}' selects more than {max_fields} fields; "
                        "ask for fewer fields or split the query.",
                        node,
                    )
                )
                return
            if field.alias is not None:
                aliases += 1
                if aliases > max_aliases:
                    self.report_error(
                        GraphQLError(
                            f"Operation '{name}' uses more than {max_aliases} aliases; "
                            "use fewer aliases or send several requests.",
                            field,
                        )
                    )
                    return


def introspection_enabled() -> bool:
    """PERSONALIZATION['GRAPHQL_INTROSPECTION'] when True or False; when None (the
    default), only under DEBUG: a production store does not hand out its schema map
    unless its owner chooses to."""
    setting = plugin_settings.GRAPHQL_INTROSPECTION
    if setting is None:
        return bool(settings.DEBUG)
    return bool(setting)


class IntrospectionPolicyRule(NoSchemaIntrospectionCustomRule):
    """Refuses `__schema` and `__type` unless `introspection_enabled()`. Read on every
    validation, so the owner's switch needs no restart and the rule list can be built
    once."""

    def enter_field(self, node: FieldNode, *args: Any) -> None:
        if not introspection_enabled():
            super().enter_field(node, *args)


def validation_rules() -> list[type[ASTValidationRule]]:
    """graphql-core's standard rules plus the plugin's limits and introspection policy.
    Pass them to a GraphQL view (`GraphQLView.as_view(validation_rules=...)`)."""
    return [*specified_rules, QueryLimitsRule, IntrospectionPolicyRule]


def check_query_length(query: str) -> None:
    """Raises a GraphQLError when the query text is longer than GRAPHQL_MAX_QUERY_LENGTH.

    Not a validation rule: it must run before the query is parsed, which is the work it
    protects."""
    limit = plugin_settings.GRAPHQL_MAX_QUERY_LENGTH
    if len(query) > limit:
        raise GraphQLError(
            f"The query is {len(query)} characters long; the limit is {limit}. "
            "Send a shorter query."
        )


class ResponseTooLarge(GraphQLError):
    """An answer longer than GRAPHQL_MAX_RESPONSE_BYTES."""


def check_response_size(size: int) -> None:
    """Raises ResponseTooLarge when an encoded answer of `size` bytes is over
    GRAPHQL_MAX_RESPONSE_BYTES: the limits on the query bound the work, this bounds
    what one request can make the store send."""
    limit = plugin_settings.GRAPHQL_MAX_RESPONSE_BYTES
    if size > limit:
        raise ResponseTooLarge(
            f"The answer would be {size} bytes; the limit is {limit}. Ask for fewer "
            "fields or items (PERSONALIZATION['GRAPHQL_MAX_RESPONSE_BYTES'] sets the limit)."
        )
