package report

import (
	"encoding/json"
	"io"
)

// JSON renders the Result as one indented JSON document (the admin API's /api/matrix body).
func JSON(w io.Writer, res *Result) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(res)
}
