"""HTTP routes: parse, call one service method, return a schema."""
