module github.com/onramp-dev/onramp/scripts/go-local-proxy

go 1.26.0

require golang.org/x/mod v0.43.0
