package wire_test

import (
	"encoding/json"
	"math/rand/v2"
	"reflect"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/mockdirector/mockdirector/internal/wire"
)

// fillValue sets every field of a struct from r, recursively, so a field added to Identity is
// exercised without this test knowing it.
func fillValue(v reflect.Value, r *rand.Rand) {
	strs := []string{"", "dir01.contoso.local", `<sip:a@b>;tag="1"&x`, "tab\there\nline\r\x01\x7f",
		"caf\u00e9 \u2028 \U0001F600", "bad\xffutf8", `back\slash`}
	for i := range v.NumField() {
		f := v.Field(i)
		switch f.Kind() {
		case reflect.String:
			f.SetString(strs[r.IntN(len(strs))])
		case reflect.Int:
			f.SetInt([]int64{0, 443, 50003, -1}[r.IntN(4)])
		case reflect.Bool:
			f.SetBool(r.IntN(2) == 1)
		case reflect.Slice:
			n := r.IntN(4) - 1 // nil, empty or up to two elements
			if n < 0 {
				f.SetZero()
				continue
			}
			sl := reflect.MakeSlice(f.Type(), n, n)
			for k := range n {
				sl.Index(k).SetString(strs[r.IntN(len(strs))])
			}
			f.Set(sl)
		case reflect.Pointer:
			if r.IntN(3) == 0 {
				f.SetZero()
				continue
			}
			p := reflect.New(f.Type().Elem())
			fillValue(p.Elem(), r)
			f.Set(p)
		default:
			Fail("json_test: fillValue knows no " + f.Kind().String())
		}
	}
}

var _ = Describe("the identity's JSON", func() {
	It("is encoded by the fast encoder (update internal/wire/json.go when Identity changes)", func() {
		Expect(wire.IdentityFast()).To(BeTrue())
	})

	It("is exactly what encoding/json writes", func() {
		r := rand.New(rand.NewPCG(3, 4))
		for range 3000 {
			var id wire.Identity
			fillValue(reflect.ValueOf(&id).Elem(), r)
			want, err := json.Marshal(id)
			Expect(err).NotTo(HaveOccurred())
			Expect(string(id.AppendJSON(nil))).To(Equal(string(want)))
		}
	})
})
