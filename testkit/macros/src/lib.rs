//! `#[both_backends]`: writes one test body as an ordinary `async fn`, so rustfmt and the IDE
//! see it, and runs it once per database.
//!
//! ```ignore
//! #[both_backends]
//! async fn reused_code_is_rejected(backend: Backend) { /* ... */ }
//! ```
//!
//! becomes a module `reused_code_is_rejected` holding the body as `run` and two tests, `sqlite`
//! and `postgres`, which call it with `Backend::Sqlite` and `Backend::Postgres` (the enum is the
//! parameter's type, resolved where the test is written). The PostgreSQL variant never passes
//! without running: a run without a database server leaves those tests out by name
//! (`scripts/test` filters `::postgres$` when `AUTH_TEST_SKIP_POSTGRES=1`), so they are
//! reported as skipped.
//!
//! `#[postgres_only]` on an `async fn name()` is the same for a test that means PostgreSQL
//! only (several processes on one database, a database dropped under the server): a module
//! `name` with the one test `postgres`, left out by the same filter.
//!
//! Knows nothing of the crates it tests; only the shape of the function.

use proc_macro::TokenStream;
use quote::quote;
use syn::{FnArg, ItemFn, Pat, parse_macro_input, spanned::Spanned};

#[proc_macro_attribute]
pub fn both_backends(attr: TokenStream, item: TokenStream) -> TokenStream {
    attribute("both_backends", attr, item, expand)
}

/// A test that runs on PostgreSQL only, named `name::postgres` so that a run without a database
/// server leaves it out like the PostgreSQL variant of a `#[both_backends]` test.
#[proc_macro_attribute]
pub fn postgres_only(attr: TokenStream, item: TokenStream) -> TokenStream {
    attribute("postgres_only", attr, item, expand_postgres_only)
}

/// Parses the function under the attribute `name` (which takes no arguments) and expands it.
fn attribute(
    name: &str,
    attr: TokenStream,
    item: TokenStream,
    expand: fn(ItemFn) -> syn::Result<proc_macro2::TokenStream>,
) -> TokenStream {
    if !attr.is_empty() {
        let attr = proc_macro2::TokenStream::from(attr);
        return syn::Error::new(attr.span(), format!("#[{name}] takes no arguments"))
            .to_compile_error()
            .into();
    }
    let function = parse_macro_input!(item as ItemFn);
    match expand(function) {
        Ok(tokens) => tokens.into(),
        Err(error) => error.to_compile_error().into(),
    }
}

/// The module named after the test function, holding `tests` with the test file's names in
/// scope.
fn module(function: &ItemFn, tests: proc_macro2::TokenStream) -> proc_macro2::TokenStream {
    let name = &function.sig.ident;
    let attributes = &function.attrs;
    let visibility = &function.vis;
    quote! {
        #(#attributes)*
        #visibility mod #name {
            #[allow(unused_imports)]
            use super::*;

            #tests
        }
    }
}

fn expand_postgres_only(function: ItemFn) -> syn::Result<proc_macro2::TokenStream> {
    let signature = &function.sig;
    if signature.asyncness.is_none() || !signature.inputs.is_empty() {
        return Err(syn::Error::new(
            signature.span(),
            "#[postgres_only] goes on an `async fn name()` without parameters",
        ));
    }
    let output = &signature.output;
    let body = &function.block;
    Ok(module(
        &function,
        quote! {
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn postgres() #output #body
        },
    ))
}

fn expand(function: ItemFn) -> syn::Result<proc_macro2::TokenStream> {
    let signature = &function.sig;
    if signature.asyncness.is_none() {
        return Err(syn::Error::new(
            signature.span(),
            "#[both_backends] goes on an `async fn name(backend: Backend)`",
        ));
    }
    let mut inputs = signature.inputs.iter();
    let (Some(FnArg::Typed(parameter)), None) = (inputs.next(), inputs.next()) else {
        return Err(syn::Error::new(
            signature.inputs.span(),
            "#[both_backends] needs exactly one parameter, the backend: `backend: Backend`",
        ));
    };
    if !matches!(*parameter.pat, Pat::Ident(_)) {
        return Err(syn::Error::new(
            parameter.pat.span(),
            "the backend parameter must be a plain name",
        ));
    }
    let backend = &parameter.ty;
    let output = &signature.output;
    let body = &function.block;
    Ok(module(
        &function,
        quote! {
            async fn run(#parameter) #output #body

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() #output {
                run(#backend::Sqlite).await
            }

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn postgres() #output {
                run(#backend::Postgres).await
            }
        },
    ))
}
