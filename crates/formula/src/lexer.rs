//! Formula text -> tokens with positions.
