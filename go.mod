module github.com/veil-go/veil

go 1.26.0

require (
	filippo.io/edwards25519 v1.2.0 // indirect
	github.com/gtank/ristretto255 v0.2.0 // indirect
	github.com/stretchr/testify v1.12.1 // indirect
	github.com/tuneinsight/lattigo/v5 v5.0.7 // indirect
	go.yaml.in/yaml/v3 v3.0.5 // indirect
	golang.org/x/crypto v0.59.0 // indirect
)
