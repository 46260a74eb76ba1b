package dev.collab.gateway;

/** Token usage of one provider response (Anthropic Messages API fields). */
public record Usage(String model, long inputTokens, long outputTokens, long cacheReadTokens, long cacheWriteTokens) {}
