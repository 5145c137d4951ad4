//! Rendering: human text, JSON documents, progress.
