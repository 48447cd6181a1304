pub mod catalog;
pub mod megaport;
