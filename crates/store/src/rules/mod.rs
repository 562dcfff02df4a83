//! Validation rules and default values on the write path, shared by both backends (being built).
