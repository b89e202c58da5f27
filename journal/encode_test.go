package journal_test

import (
	"encoding/json"
	"math/rand/v2"
	"reflect"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/mockdirector/mockdirector/journal"
)

// fill sets every field of v (a pointer to a struct) from r, recursively, so a field added to
// an event type is exercised without this test knowing it: strings with every character JSON
// escapes, zero values (omitempty), nil and non-nil pointers.
func fill(v reflect.Value, r *rand.Rand) {
	strs := []string{"", "dir01.contoso.local", `<sip:a@b>;tag="1"&x`, "tab\there\nline\r\x01\x1f\x7f",
		"caf\u00e9 \u2028\u2029 \U0001F600", "bad\xffutf8\xc3", `back\slash`, "/meet/?a=1&b=<2>"}
	for i := range v.NumField() {
		f := v.Field(i)
		if !f.CanSet() {
			continue
		}
		switch f.Kind() {
		case reflect.String:
			f.SetString(strs[r.IntN(len(strs))])
		case reflect.Int:
			f.SetInt([]int64{0, 1, 443, 50003, -1}[r.IntN(5)])
		case reflect.Float64:
			f.SetFloat([]float64{0, 0.123, 1.5, 1234.567, 1e-7, 2.5e21, 3}[r.IntN(7)])
		case reflect.Bool:
			f.SetBool(r.IntN(2) == 1)
		case reflect.Pointer:
			if r.IntN(4) == 0 {
				f.SetZero()
				continue
			}
			p := reflect.New(f.Type().Elem())
			fill(p.Elem(), r)
			f.Set(p)
		case reflect.Struct:
			if f.Type() == reflect.TypeFor[time.Time]() {
				t := time.Date(2026, 11, 25, 19, 33, 50, r.IntN(1e9), time.UTC)
				if r.IntN(3) == 0 {
					t = t.In(time.FixedZone("CET", 3600))
				}
				f.Set(reflect.ValueOf(t))
				continue
			}
			fill(f, r)
		default:
			Fail("encode_test: fill knows no " + f.Kind().String() + " (field " + v.Type().Field(i).Name + ")")
		}
	}
}

var _ = Describe("the journal's event encoder", func() {
	It("is written for the event types as they are (update journal/encode.go when you add a field)", func() {
		Expect(journal.FastEncoding()).To(BeTrue())
	})

	It("writes exactly what encoding/json writes, for every field, escape and omitted field", func() {
		r := rand.New(rand.NewPCG(1, 2))
		for range 5000 {
			var e journal.Event
			fill(reflect.ValueOf(&e).Elem(), r)
			want, err := json.Marshal(e)
			Expect(err).NotTo(HaveOccurred())
			got, err := journal.AppendJSON(nil, &e)
			Expect(err).NotTo(HaveOccurred())
			Expect(string(got)).To(Equal(string(want)))
		}
		var zero journal.Event
		want, _ := json.Marshal(zero)
		Expect(journal.AppendJSON(nil, &zero)).To(Equal(want))
	})
})
