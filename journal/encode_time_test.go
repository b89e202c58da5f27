package journal_test

import (
	"encoding/json"
	"math/rand/v2"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/mockdirector/mockdirector/journal"
)

var _ = Describe("the journal's time encoding", func() {
	It("writes a UTC time as encoding/json does, over the whole range of years and fractions", func() {
		r := rand.New(rand.NewPCG(3, 4))
		times := []time.Time{
			time.Date(0, 1, 3, 0, 0, 0, 0, time.UTC), time.Date(9999, 12, 29, 23, 59, 59, 999999999, time.UTC),
			time.Date(1969, 12, 31, 23, 59, 59, 0, time.UTC), time.Date(1970, 1, 1, 0, 0, 0, 0, time.UTC),
			time.Date(2000, 2, 29, 12, 0, 0, 100000000, time.UTC), time.Date(2100, 3, 1, 0, 0, 0, 10, time.UTC),
			time.Date(1600, 2, 29, 1, 2, 3, 120000, time.UTC), time.Date(2026, 12, 2, 3, 4, 5, 6000, time.UTC),
		}
		lo, hi := times[0].Unix(), times[1].Unix()
		for range 20000 {
			times = append(times, time.Unix(lo+r.Int64N(hi-lo), int64(r.IntN(1e9))/[]int64{1, 10, 1000, 1e6, 1e9}[r.IntN(5)]).UTC())
		}
		for _, t := range times {
			e := journal.Event{Time: t}
			want, err := json.Marshal(e)
			Expect(err).NotTo(HaveOccurred())
			got, err := journal.AppendJSON(nil, &e)
			Expect(err).NotTo(HaveOccurred())
			Expect(string(got)).To(Equal(string(want)), "time %s", t)
		}
	})
})
