package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"gopkg.in/yaml.v3"
)

type crd struct {
	Kind string `yaml:"kind"`
	Spec struct {
		Group string `yaml:"group"`
		Names struct {
			Kind string `yaml:"kind"`
		} `yaml:"names"`
		Versions []struct {
			Name   string `yaml:"name"`
			Schema struct {
				OpenAPIV3Schema map[string]any `yaml:"openAPIV3Schema"`
			} `yaml:"schema"`
		} `yaml:"versions"`
	} `yaml:"spec"`
}

// crdSchemas writes one kubeconform JSON schema per version of each CRD in path:
// outDir/<group>/<kind lowercased>_<version>.json (kubeconform's
// {{ .Group }}/{{ .ResourceKind }}_{{ .ResourceAPIVersion }} layout).
func crdSchemas(path, outDir string) ([]string, error) {
	text, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var written []string
	dec := yaml.NewDecoder(bytes.NewReader(text))
	for {
		var c crd
		err := dec.Decode(&c)
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return written, err
		}
		if c.Kind != "CustomResourceDefinition" {
			continue
		}
		for _, v := range c.Spec.Versions {
			if v.Schema.OpenAPIV3Schema == nil {
				return written, fmt.Errorf("%s %s has no openAPIV3Schema", c.Spec.Names.Kind, v.Name)
			}
			schema := strict(v.Schema.OpenAPIV3Schema).(map[string]any)
			schema["$schema"] = "http://json-schema.org/draft-07/schema#"
			out := filepath.Join(outDir, c.Spec.Group, fmt.Sprintf("%s_%s.json", strings.ToLower(c.Spec.Names.Kind), v.Name))
			data, err := json.Marshal(schema)
			if err != nil {
				return written, err
			}
			if err := os.MkdirAll(filepath.Dir(out), 0o755); err != nil {
				return written, err
			}
			if err := os.WriteFile(out, data, 0o644); err != nil {
				return written, err
			}
			written = append(written, out)
		}
	}
	if len(written) == 0 {
		return nil, errors.New("no CustomResourceDefinition with a schema")
	}
	return written, nil
}

// strict closes every object schema that lists its properties (kubeconform -strict's
// meaning for the built-in kinds), unless it preserves unknown fields or says what
// other fields may hold; x-kubernetes-int-or-string becomes integer-or-string.
func strict(node any) any {
	switch n := node.(type) {
	case map[string]any:
		for k, v := range n {
			n[k] = strict(v)
		}
		if _, ok := n["properties"]; ok {
			if _, set := n["additionalProperties"]; !set && n["x-kubernetes-preserve-unknown-fields"] != true {
				n["additionalProperties"] = false
			}
		}
		if n["x-kubernetes-int-or-string"] == true {
			delete(n, "anyOf")
			n["type"] = []any{"integer", "string"}
		}
		return n
	case []any:
		for i, v := range n {
			n[i] = strict(v)
		}
		return n
	default:
		return n
	}
}
