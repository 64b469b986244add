# The test command of the README, and what CI runs.
.PHONY: test build fmt

test:
	go vet ./...
	go test -race ./...

build:
	go build -o bin/llmos ./cmd/llmos

fmt:
	gofmt -w $$(git ls-files '*.go')
