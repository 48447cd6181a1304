module github.com/onramp-dev/onramp/sdk-conformance

go 1.26

require github.com/megaport/megaportgo v0.0.0

require (
	github.com/lithammer/fuzzysearch v1.1.8 // indirect
	golang.org/x/text v0.14.0 // indirect
)

replace github.com/megaport/megaportgo => ../../../tools/megaportgo
