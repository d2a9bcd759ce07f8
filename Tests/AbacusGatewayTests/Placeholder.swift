// Tests for the gateway.
