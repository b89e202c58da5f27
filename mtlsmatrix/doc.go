// Package mtlsmatrix holds the end-to-end proof that every mutual TLS hop of the mock accepts
// exactly the certificates it should: the fault matrix (each certificate of `certs faults`, in
// both directions, on every MTLS port, against real listeners) and the interoperability specs
// with openssl, curl and nginx. It has no code of its own: see the _test.go files.
package mtlsmatrix
