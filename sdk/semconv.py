"""Every span and resource attribute name Chainsight reads or writes.

This is the only module that spells attribute names (a test greps the tree for
``"gen_ai.`` elsewhere). Names follow the OpenTelemetry GenAI semantic
conventions pinned below; beside each current name sit the aliases other
conventions use for the same fact (deprecated ``gen_ai`` names, OpenInference,
OpenLLMetry/Traceloop), so the collector can read spans from any of them.

Pinned to: OpenTelemetry semantic conventions for GenAI, v1.38.0 (status: Development).
OpenInference: ``Arize-ai/openinference`` spec/semantic_conventions.md.
OpenLLMetry: ``traceloop/openllmetry`` semconv-ai ``SpanAttributes``.
"""

from __future__ import annotations

from typing import Final

GENAI_SEMCONV_VERSION: Final = "1.38.0"
"""Version of the OTel GenAI semantic conventions these names are pinned to."""

# --- Resource -------------------------------------------------------------------------------
SERVICE_NAME: Final = "service.name"
"""OTel resource: the logical service emitting spans."""
CHAINSIGHT_PROJECT: Final = "chainsight.project"
"""Resource: the Chainsight project the spans belong to."""
OPENINFERENCE_PROJECT: Final = "openinference.project.name"
"""Resource (OpenInference): project name; alias of ``chainsight.project``."""
PROJECT_ALIASES: Final = (CHAINSIGHT_PROJECT, OPENINFERENCE_PROJECT)
"""Resource attributes that name the project, in order of preference."""

# --- Span kind (which chain step) -------------------------------------------------------------
CHAINSIGHT_SPAN_KIND: Final = "chainsight.span.kind"
"""Our step kind: llm, chain, retriever, embedding, reranker, tool, agent, guardrail, evaluator."""
OPENINFERENCE_SPAN_KIND: Final = "openinference.span.kind"
"""OpenInference step kind, upper case (LLM, CHAIN, RETRIEVER, ...)."""
TRACELOOP_SPAN_KIND: Final = "traceloop.span.kind"
"""OpenLLMetry step kind: workflow, task, agent, tool."""
LLM_REQUEST_TYPE: Final = "llm.request.type"
"""OpenLLMetry: chat, completion, embedding, rerank."""

SPAN_KINDS: Final = (
    "llm",
    "chain",
    "retriever",
    "embedding",
    "reranker",
    "tool",
    "agent",
    "guardrail",
    "evaluator",
    "unknown",
)
"""Chainsight step kinds (lower-case OpenInference kinds)."""

# --- GenAI operation and model -----------------------------------------------------------------
GEN_AI_OPERATION_NAME: Final = "gen_ai.operation.name"
"""chat, text_completion, generate_content, embeddings, execute_tool, invoke_agent, retrieval."""
GEN_AI_PROVIDER_NAME: Final = "gen_ai.provider.name"
"""The model provider (openai, anthropic, gcp.gemini, ...)."""
GEN_AI_SYSTEM: Final = "gen_ai.system"
"""Deprecated alias of ``gen_ai.provider.name``."""
LLM_PROVIDER: Final = "llm.provider"
"""OpenInference alias of ``gen_ai.provider.name``."""
LLM_SYSTEM: Final = "llm.system"
"""OpenInference: the AI product (openai, anthropic); fallback for the provider."""
PROVIDER_ALIASES: Final = (GEN_AI_PROVIDER_NAME, GEN_AI_SYSTEM, LLM_PROVIDER, LLM_SYSTEM)
"""Attributes naming the provider, in order of preference."""

GEN_AI_REQUEST_MODEL: Final = "gen_ai.request.model"
"""Model the caller asked for."""
GEN_AI_RESPONSE_MODEL: Final = "gen_ai.response.model"
"""Model that actually answered."""
LLM_MODEL_NAME: Final = "llm.model_name"
"""OpenInference alias of the model name."""
EMBEDDING_MODEL_NAME: Final = "embedding.model_name"
"""OpenInference: embedding model name."""
REQUEST_MODEL_ALIASES: Final = (GEN_AI_REQUEST_MODEL, LLM_MODEL_NAME, EMBEDDING_MODEL_NAME)
"""Attributes naming the requested model, in order of preference."""
RESPONSE_MODEL_ALIASES: Final = (GEN_AI_RESPONSE_MODEL,)
"""Attributes naming the responding model."""

GEN_AI_RESPONSE_ID: Final = "gen_ai.response.id"
"""Provider's id for the completion."""
GEN_AI_RESPONSE_FINISH_REASONS: Final = "gen_ai.response.finish_reasons"
"""Array of finish reasons, one per choice."""
GEN_AI_REQUEST_TEMPERATURE: Final = "gen_ai.request.temperature"
"""Sampling temperature requested."""
GEN_AI_REQUEST_TOP_P: Final = "gen_ai.request.top_p"
"""Nucleus sampling parameter requested."""
GEN_AI_REQUEST_MAX_TOKENS: Final = "gen_ai.request.max_tokens"
"""Maximum output tokens requested."""
GEN_AI_REQUEST_STREAM: Final = "gen_ai.request.stream"
"""Whether the response was streamed (not yet in the spec; used by several instrumentations)."""
LLM_INVOCATION_PARAMETERS: Final = "llm.invocation_parameters"
"""OpenInference: JSON of the request parameters."""
GEN_AI_CONVERSATION_ID: Final = "gen_ai.conversation.id"
"""Conversation (session) id."""
GEN_AI_AGENT_NAME: Final = "gen_ai.agent.name"
"""Name of the agent invoked."""
GEN_AI_TOOL_NAME: Final = "gen_ai.tool.name"
"""Name of the tool executed."""
GEN_AI_TOOL_CALL_ID: Final = "gen_ai.tool.call.id"
"""Id of the tool call."""
ERROR_TYPE: Final = "error.type"
"""Class of error the operation ended with."""

# --- Tokens ------------------------------------------------------------------------------------
GEN_AI_USAGE_INPUT_TOKENS: Final = "gen_ai.usage.input_tokens"
"""Input tokens, *including* cached tokens."""
GEN_AI_USAGE_PROMPT_TOKENS: Final = "gen_ai.usage.prompt_tokens"
"""Deprecated alias of input tokens."""
LLM_TOKEN_COUNT_PROMPT: Final = "llm.token_count.prompt"
"""OpenInference alias of input tokens."""
INPUT_TOKENS_ALIASES: Final = (
    GEN_AI_USAGE_INPUT_TOKENS,
    GEN_AI_USAGE_PROMPT_TOKENS,
    LLM_TOKEN_COUNT_PROMPT,
)
"""Attributes holding input tokens, in order of preference."""

GEN_AI_USAGE_OUTPUT_TOKENS: Final = "gen_ai.usage.output_tokens"
"""Output tokens, including reasoning tokens."""
GEN_AI_USAGE_COMPLETION_TOKENS: Final = "gen_ai.usage.completion_tokens"
"""Deprecated alias of output tokens."""
LLM_TOKEN_COUNT_COMPLETION: Final = "llm.token_count.completion"
"""OpenInference alias of output tokens."""
OUTPUT_TOKENS_ALIASES: Final = (
    GEN_AI_USAGE_OUTPUT_TOKENS,
    GEN_AI_USAGE_COMPLETION_TOKENS,
    LLM_TOKEN_COUNT_COMPLETION,
)
"""Attributes holding output tokens, in order of preference."""

GEN_AI_USAGE_CACHE_READ_INPUT_TOKENS: Final = "gen_ai.usage.cache_read.input_tokens"
"""Input tokens served from the provider's cache (a subset of input tokens)."""
LLM_TOKEN_COUNT_CACHE_READ: Final = "llm.token_count.prompt_details.cache_read"
"""OpenInference alias of cache-read tokens."""
GEN_AI_USAGE_CACHE_READ_OPENLLMETRY: Final = "gen_ai.usage.cache_read_input_tokens"
"""OpenLLMetry alias of cache-read tokens."""
CACHE_READ_TOKENS_ALIASES: Final = (
    GEN_AI_USAGE_CACHE_READ_INPUT_TOKENS,
    LLM_TOKEN_COUNT_CACHE_READ,
    GEN_AI_USAGE_CACHE_READ_OPENLLMETRY,
)
"""Attributes holding cache-read tokens, in order of preference."""

GEN_AI_USAGE_CACHE_CREATION_INPUT_TOKENS: Final = "gen_ai.usage.cache_creation.input_tokens"
"""Input tokens written to the provider's cache."""
LLM_TOKEN_COUNT_CACHE_WRITE: Final = "llm.token_count.prompt_details.cache_write"
"""OpenInference alias of cache-write tokens."""
GEN_AI_USAGE_CACHE_CREATION_OPENLLMETRY: Final = "gen_ai.usage.cache_creation_input_tokens"
"""OpenLLMetry alias of cache-write tokens."""
CACHE_WRITE_TOKENS_ALIASES: Final = (
    GEN_AI_USAGE_CACHE_CREATION_INPUT_TOKENS,
    LLM_TOKEN_COUNT_CACHE_WRITE,
    GEN_AI_USAGE_CACHE_CREATION_OPENLLMETRY,
)
"""Attributes holding cache-write tokens, in order of preference."""

GEN_AI_USAGE_REASONING_OUTPUT_TOKENS: Final = "gen_ai.usage.reasoning.output_tokens"
"""Output tokens spent on reasoning (a subset of output tokens)."""
LLM_TOKEN_COUNT_REASONING: Final = "llm.token_count.completion_details.reasoning"
"""OpenInference alias of reasoning tokens."""
GEN_AI_USAGE_REASONING_OPENLLMETRY: Final = "gen_ai.usage.reasoning_tokens"
"""OpenLLMetry alias of reasoning tokens."""
REASONING_TOKENS_ALIASES: Final = (
    GEN_AI_USAGE_REASONING_OUTPUT_TOKENS,
    LLM_TOKEN_COUNT_REASONING,
    GEN_AI_USAGE_REASONING_OPENLLMETRY,
)
"""Attributes holding reasoning tokens, in order of preference."""

LLM_TOKEN_COUNT_TOTAL: Final = "llm.token_count.total"
"""OpenInference: total tokens."""
LLM_USAGE_TOTAL_TOKENS: Final = "llm.usage.total_tokens"
"""OpenLLMetry: total tokens."""
TOTAL_TOKENS_ALIASES: Final = (LLM_TOKEN_COUNT_TOTAL, LLM_USAGE_TOTAL_TOKENS)
"""Attributes holding total tokens."""

CHAINSIGHT_USAGE_ESTIMATED: Final = "chainsight.usage.estimated"
"""True when token counts were counted locally rather than reported by the provider."""

# --- Cost --------------------------------------------------------------------------------------
CHAINSIGHT_COST_USD: Final = "chainsight.cost.usd"
"""Explicit cost of the call in USD, set by the app; wins over computed cost."""
LLM_COST_TOTAL: Final = "llm.cost.total"
"""OpenInference: total cost in USD."""
COST_ALIASES: Final = (CHAINSIGHT_COST_USD, LLM_COST_TOTAL)
"""Attributes holding an explicit total cost, in order of preference."""

# --- Streaming latency -------------------------------------------------------------------------
GEN_AI_RESPONSE_TIME_TO_FIRST_CHUNK: Final = "gen_ai.response.time_to_first_chunk"
"""Seconds from request start to the first non-empty streamed chunk (TTFT)."""
CHAINSIGHT_TTFT_S: Final = "chainsight.ttft_s"
"""Deprecated Chainsight alias of TTFT in seconds (never written since 0.1)."""
TTFT_ALIASES: Final = (GEN_AI_RESPONSE_TIME_TO_FIRST_CHUNK, CHAINSIGHT_TTFT_S)
"""Attributes holding TTFT in seconds."""
CHAINSIGHT_TPOT_S: Final = "chainsight.tpot_s"
"""Seconds per output token after the first: (end - first token) / (output tokens - 1)."""
CHAINSIGHT_FIRST_TOKEN_NS: Final = "chainsight.first_token_unix_nano"
"""Absolute time (Unix ns) of the first non-empty streamed chunk."""
FIRST_TOKEN_EVENT: Final = "gen_ai.first_token"
"""Span event name marking the first streamed token (several instrumentations emit it)."""
FIRST_TOKEN_EVENT_ALIASES: Final = (FIRST_TOKEN_EVENT, "First Token Stream Event", "first_token")
"""Span event names that mark the first streamed token."""

# --- Content -----------------------------------------------------------------------------------
INPUT_VALUE: Final = "input.value"
"""OpenInference: the step's input (JSON or text)."""
INPUT_MIME_TYPE: Final = "input.mime_type"
"""OpenInference: ``application/json`` or ``text/plain``."""
OUTPUT_VALUE: Final = "output.value"
"""OpenInference: the step's output (JSON or text)."""
OUTPUT_MIME_TYPE: Final = "output.mime_type"
"""OpenInference: ``application/json`` or ``text/plain``."""
GEN_AI_INPUT_MESSAGES: Final = "gen_ai.input.messages"
"""Chat history sent to the model (JSON array), opt-in content."""
GEN_AI_OUTPUT_MESSAGES: Final = "gen_ai.output.messages"
"""Messages returned by the model (JSON array), opt-in content."""
GEN_AI_SYSTEM_INSTRUCTIONS: Final = "gen_ai.system_instructions"
"""System instructions sent to the model, opt-in content."""
GEN_AI_PROMPT: Final = "gen_ai.prompt"
"""Deprecated: the prompt; OpenLLMetry flattens it as ``gen_ai.prompt.N.role|content``."""
GEN_AI_COMPLETION: Final = "gen_ai.completion"
"""Deprecated: the completion; OpenLLMetry flattens it as ``gen_ai.completion.N.*``."""
LLM_INPUT_MESSAGES: Final = "llm.input_messages"
"""OpenInference prefix: ``llm.input_messages.<i>.message.role|content``."""
LLM_OUTPUT_MESSAGES: Final = "llm.output_messages"
"""OpenInference prefix: ``llm.output_messages.<i>.message.role|content``."""
TRACELOOP_ENTITY_NAME: Final = "traceloop.entity.name"
"""OpenLLMetry: name of the workflow/task."""
TRACELOOP_ENTITY_INPUT: Final = "traceloop.entity.input"
"""OpenLLMetry: JSON input of a workflow/task."""
TRACELOOP_ENTITY_OUTPUT: Final = "traceloop.entity.output"
"""OpenLLMetry: JSON output of a workflow/task."""
TRACELOOP_WORKFLOW_NAME: Final = "traceloop.workflow.name"
"""OpenLLMetry: name of the enclosing workflow."""
INPUT_ALIASES: Final = (INPUT_VALUE, TRACELOOP_ENTITY_INPUT, GEN_AI_INPUT_MESSAGES)
"""Attributes holding a step's input, in order of preference."""
OUTPUT_ALIASES: Final = (OUTPUT_VALUE, TRACELOOP_ENTITY_OUTPUT, GEN_AI_OUTPUT_MESSAGES)
"""Attributes holding a step's output, in order of preference."""

RETRIEVAL_DOCUMENTS: Final = "retrieval.documents"
"""OpenInference prefix: ``retrieval.documents.<i>.document.id|content|score|metadata``."""
EMBEDDING_EMBEDDINGS: Final = "embedding.embeddings"
"""OpenInference prefix: ``embedding.embeddings.<i>.embedding.vector|text``."""

# --- Context: session, user, tags, metadata ----------------------------------------------------
SESSION_ID: Final = "session.id"
"""OpenInference: session (conversation) id."""
SESSION_ID_ALIASES: Final = (SESSION_ID, GEN_AI_CONVERSATION_ID)
"""Attributes holding the session id, in order of preference."""
USER_ID: Final = "user.id"
"""OpenInference: end-user id."""
TAG_TAGS: Final = "tag.tags"
"""OpenInference: list of string tags."""
METADATA: Final = "metadata"
"""OpenInference: JSON object of user metadata."""

# --- Exceptions (OTel general conventions) -----------------------------------------------------
EXCEPTION_EVENT: Final = "exception"
"""Span event name for a recorded exception."""
EXCEPTION_TYPE: Final = "exception.type"
"""Exception class name."""
EXCEPTION_MESSAGE: Final = "exception.message"
"""Exception message."""
EXCEPTION_STACKTRACE: Final = "exception.stacktrace"
"""Formatted stack trace."""

# --- Flattened message lists (OpenLLMetry gen_ai.prompt.N.*, OpenInference llm.*_messages.N.*)
FLAT_ROLE: Final = "role"
"""OpenLLMetry suffix after ``gen_ai.prompt.N.`` / ``gen_ai.completion.N.``: the message role."""
FLAT_CONTENT: Final = "content"
"""OpenLLMetry suffix after ``gen_ai.prompt.N.`` / ``gen_ai.completion.N.``: the message text."""
FLAT_FINISH_REASON: Final = "finish_reason"
"""OpenLLMetry suffix after ``gen_ai.completion.N.``: why that choice stopped."""
OPENINFERENCE_MESSAGE_ROLE: Final = "message.role"
"""OpenInference suffix after ``llm.input_messages.N.``: the message role."""
OPENINFERENCE_MESSAGE_CONTENT: Final = "message.content"
"""OpenInference suffix after ``llm.input_messages.N.``: the message text."""
GEN_AI_COMPLETION_0_FINISH_REASON: Final = "gen_ai.completion.0.finish_reason"
"""OpenLLMetry: finish reason of the first choice (flattened)."""
FINISH_REASON_ALIASES: Final = (GEN_AI_RESPONSE_FINISH_REASONS, GEN_AI_COMPLETION_0_FINISH_REASON)
"""Attributes holding the finish reason(s), in order of preference (arrays: first element)."""
INPUT_FALLBACK_ALIASES: Final = (GEN_AI_PROMPT,)
"""Deprecated whole-prompt attribute read when no ``INPUT_ALIASES`` name is present."""
OUTPUT_FALLBACK_ALIASES: Final = (GEN_AI_COMPLETION,)
"""Deprecated whole-completion attribute read when no ``OUTPUT_ALIASES`` name is present."""

# --- Collector bookkeeping (written into a span's stored attributes JSON) ---------------------
CHAINSIGHT_DROPPED_ATTRIBUTES_COUNT: Final = "chainsight.dropped_attributes_count"
"""Attributes dropped by the sender (OTLP ``dropped_attributes_count``) or over our cap."""
CHAINSIGHT_DROPPED_EVENTS_COUNT: Final = "chainsight.dropped_events_count"
"""Events dropped by the sender or over the collector's per-span cap."""
CHAINSIGHT_DROPPED_LINKS_COUNT: Final = "chainsight.dropped_links_count"
"""Links dropped by the sender or over the collector's per-span cap."""

# --- Code location (OTel general conventions) --------------------------------------------------
CODE_FUNCTION_NAME: Final = "code.function.name"
"""Qualified name of the decorated function (kept when an LLM span is renamed to its model)."""
