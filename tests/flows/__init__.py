"""Tests of the conversation-flow engine (gateway.flows) and the shipped flows."""
