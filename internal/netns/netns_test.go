package netns_test

import (
	"fmt"
	"net"
	"os"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/mockdirector/mockdirector/internal/netns"
)

var _ = Describe("namespaces of one set", Ordered, Label("netns"), func() {
	var a, b netns.Set
	BeforeAll(func() {
		if err := netns.Available(); err != nil {
			Skip(err.Error())
		}
		a = netns.Set{Prefix: fmt.Sprintf("mdnst-%d-a-", os.Getpid())}
		b = netns.Set{Prefix: fmt.Sprintf("mdnst-%d-b-", os.Getpid())}
		DeferCleanup(func() {
			Expect(a.Remove()).To(Succeed())
			Expect(b.Remove()).To(Succeed())
		})
	})

	It("joins two namespaces by a veth pair, runs Go code in one and reaches the other", func() {
		left, err := a.Add("l")
		Expect(err).NotTo(HaveOccurred())
		right, err := a.Add("r")
		Expect(err).NotTo(HaveOccurred())
		Expect(netns.Veth(netns.End{NS: left, If: "eth0", Addrs: []string{"198.51.100.1/30"}},
			netns.End{NS: right, If: "eth0", Addrs: []string{"198.51.100.2/30"}})).To(Succeed())

		var ln net.Listener
		Expect(netns.Do(right, func() (err error) { ln, err = net.Listen("tcp", "198.51.100.2:0"); return err })).To(Succeed())
		defer ln.Close()
		go func() {
			if c, err := ln.Accept(); err == nil {
				c.Write([]byte("hi"))
				c.Close()
			}
		}()
		var c net.Conn
		Expect(netns.Do(left, func() (err error) {
			c, err = net.DialTimeout("tcp", ln.Addr().String(), 5*time.Second)
			return err
		})).To(Succeed())
		defer c.Close()
		Expect(c.LocalAddr().String()).To(HavePrefix("198.51.100.1:"))
		buf := make([]byte, 2)
		_, err = c.Read(buf)
		Expect(err).NotTo(HaveOccurred())
		Expect(string(buf)).To(Equal("hi"))

		_, err = net.DialTimeout("tcp", ln.Addr().String(), time.Second)
		Expect(err).To(HaveOccurred(), "the host's namespace has no route into the set")
	})

	It("removes only its own prefix's namespaces, and the processes inside them", func() {
		other, err := b.Add("x")
		Expect(err).NotTo(HaveOccurred())
		ns := a.Name("l")
		out, err := netns.Exec(ns, "sh", "-c", "sleep 600 >/dev/null 2>&1 & echo $!")
		Expect(err).NotTo(HaveOccurred())
		Expect(netns.Pids(ns)).NotTo(BeEmpty(), "sleep %s runs inside", out)

		Expect(a.Remove()).To(Succeed())
		Expect(a.List()).To(BeEmpty())
		Expect(b.List()).To(ConsistOf(other), "another prefix's namespace stays")
		Expect(netns.Remove(a.Name("gone"))).To(Succeed(), "a namespace that does not exist is no error")
	})

	It("holds a prefix's lease against a second taker until it is released", func() {
		prefix := fmt.Sprintf("mdnst-%d-lease-", os.Getpid())
		l, err := netns.Lock(prefix, time.Second)
		Expect(err).NotTo(HaveOccurred())
		_, err = netns.Lock(prefix, 300*time.Millisecond)
		Expect(err).To(MatchError(ContainSubstring(fmt.Sprintf("are another run's (pid %d", os.Getpid()))))
		Expect(l.Unlock()).To(Succeed())
		l2, err := netns.Lock(prefix, time.Second)
		Expect(err).NotTo(HaveOccurred())
		Expect(l2.Unlock()).To(Succeed())
		Expect(l2.Unlock()).To(Succeed(), "twice is harmless")
		os.Remove(os.TempDir() + "/mockdirector-netns-" + prefix[:len(prefix)-1] + ".lock")
	})
})
