//! Syntax colours for the editor: a scenario line split into spans by
//! role (keyword, name, number, comment...). Filled in with the editor.
