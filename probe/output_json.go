package probe

import (
	"encoding/json"
	"io"
)

// JSON writes the report as one indented JSON document.
type JSON struct{}

// Write encodes rep.
func (JSON) Write(w io.Writer, rep *Report) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false) // keep "->" readable in row IDs
	return enc.Encode(rep)
}
