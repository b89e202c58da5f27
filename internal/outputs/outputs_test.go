package outputs_test

import (
	"bytes"
	"io"
	"testing"

	"github.com/mockdirector/mockdirector/internal/outputs"
)

type doc struct{ s string }

func TestRegistry(t *testing.T) {
	r := outputs.Registry[doc]{
		"text":  outputs.Func[doc](func(w io.Writer, d *doc) error { _, err := io.WriteString(w, d.s); return err }),
		"empty": outputs.Func[doc](func(io.Writer, *doc) error { return nil }),
	}
	if got := r.Names(); len(got) != 2 || got[0] != "empty" || got[1] != "text" {
		t.Fatalf("Names() = %v, want [empty text]", got)
	}
	var b bytes.Buffer
	if err := r.Write(&b, "text", &doc{"hello"}); err != nil || b.String() != "hello" {
		t.Fatalf("Write(text) = %q, %v", b.String(), err)
	}
	if err := r.Write(&b, "pdf", &doc{}); err == nil || err.Error() != `format "pdf" is not one of empty, text` {
		t.Fatalf("Write(pdf) error = %v, want the list of formats", err)
	}
}
