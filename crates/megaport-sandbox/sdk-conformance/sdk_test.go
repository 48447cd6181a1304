// Package conformance checks the sandbox against Megaport's own Go SDK, unmodified (vendored in
// tools/megaportgo): what the SDK decodes from the sandbox is what the seed says.
package conformance_test

import (
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"testing"
	"time"

	megaport "github.com/megaport/megaportgo"
)

const (
	osa1       = "90045cff-cd2e-46ce-b4f0-ba057281c4b5"
	nyc1       = "dbb45454-23da-4112-b353-17c20ce9a0f5"
	lon1       = "72cdae91-cd69-4cef-842c-0e164dee1d9c"
	lon1Member = "b3a0c5d2-6f1e-4d8a-9c47-2e5f8a1b9d30"
)

// baseURL is the sandbox TestMain started: $MEGAPORT_SANDBOX_BINARY (set by `make
// sdk-conformance`), else the repository's target/debug/megaport-sandbox.
var baseURL string

func TestMain(m *testing.M) {
	os.Exit(run(m))
}

func run(m *testing.M) int {
	binary := os.Getenv("MEGAPORT_SANDBOX_BINARY")
	if binary == "" {
		binary = filepath.Join("..", "..", "..", "target", "debug", "megaport-sandbox")
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	address := l.Addr().String()
	l.Close()
	// Without Megaport's limits: the lifecycle test updates one VXC several times a minute.
	cmd := exec.Command(binary, "--listen", address, "--no-limits")
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		fmt.Fprintf(os.Stderr, "%s: %v (build it with `cargo build -p megaport-sandbox`)\n", binary, err)
		return 1
	}
	defer func() {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
	}()
	deadline := time.Now().Add(30 * time.Second)
	for {
		conn, err := net.Dial("tcp", address)
		if err == nil {
			conn.Close()
			break
		}
		if time.Now().After(deadline) {
			fmt.Fprintln(os.Stderr, "the sandbox did not listen within 30 s")
			return 1
		}
		time.Sleep(50 * time.Millisecond)
	}
	baseURL = "http://" + address + "/"
	return m.Run()
}

// provider is the SDK logged in as the seed's provider, QuantumGPU.
func provider(t *testing.T) (*megaport.Client, context.Context) {
	return login(t, "quantumgpu-sandbox", "quantumgpu-sandbox-secret")
}

func login(t *testing.T, id, secret string) (*megaport.Client, context.Context) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	t.Cleanup(cancel)
	client, err := megaport.New(nil,
		megaport.WithBaseURL(baseURL),
		megaport.WithTokenURL(baseURL+"oauth2/token"),
		megaport.WithCredentials(id, secret),
	)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := client.Authorize(ctx); err != nil {
		t.Fatal(err)
	}
	return client, ctx
}

func TestLocationsCarryStatusAndZones(t *testing.T) {
	client, ctx := provider(t)
	locations, err := client.LocationService.ListLocationsV3(ctx)
	if err != nil {
		t.Fatal(err)
	}
	byID := map[int]*megaport.LocationV3{}
	for _, l := range locations {
		byID[l.ID] = l
	}
	la1 := byID[59]
	if la1 == nil || la1.Name != "Equinix LA1" || la1.Status != "Active" || la1.Metro != "Los Angeles" {
		t.Fatalf("location 59: %+v", la1)
	}
	if la1.DiversityZones == nil || la1.DiversityZones.Red == nil || la1.DiversityZones.Blue == nil {
		t.Fatalf("location 59 offers both zones: %+v", la1.DiversityZones)
	}
	if byID[990] == nil || byID[990].Status != "Deployment" {
		t.Fatalf("location 990 is not orderable yet: %+v", byID[990])
	}
	deploying, err := client.LocationService.ListLocationsV3WithOptions(ctx,
		&megaport.ListLocationsV3Options{Statuses: []string{"Deployment"}})
	if err != nil {
		t.Fatal(err)
	}
	if len(deploying) != 1 || deploying[0].ID != 990 {
		t.Fatalf("status filter: %d locations", len(deploying))
	}
	coresite, err := client.LocationService.GetLocationByIDV3(ctx, 60)
	if err != nil || coresite.Name != "CoreSite LA1" {
		t.Fatalf("location 60: %+v, %v", coresite, err)
	}
}

// The SDK's GetRoundTripTimes: last month's medians from Equinix LA1 (59), near for CoreSite
// LA1 (60) and far for London (42); none yet for the current month.
func TestRoundTripTimes(t *testing.T) {
	client, ctx := provider(t)
	now := time.Now().UTC()
	lastMonth := now.AddDate(0, 0, -now.Day())
	rtts, err := client.LocationService.GetRoundTripTimes(ctx, 59, lastMonth.Year(), int(lastMonth.Month()))
	if err != nil {
		t.Fatal(err)
	}
	byDestination := map[int]float64{}
	for _, rtt := range rtts {
		if rtt.SrcLocation != 59 {
			t.Fatalf("a row from %d", rtt.SrcLocation)
		}
		byDestination[rtt.DstLocation] = rtt.MedianRTT
	}
	if near, ok := byDestination[60]; !ok || near >= 1 {
		t.Fatalf("59 to 60: %v (%v)", near, ok)
	}
	if far, ok := byDestination[42]; !ok || far <= 100 {
		t.Fatalf("59 to 42: %v (%v)", far, ok)
	}
	current, err := client.LocationService.GetRoundTripTimes(ctx, 59, now.Year(), int(now.Month()))
	if err != nil || len(current) != 0 {
		t.Fatalf("this month: %d rows, %v", len(current), err)
	}
}

func TestMaintenanceAndOutageEvents(t *testing.T) {
	client, ctx := provider(t)
	scheduled, err := client.EventsService.GetMaintenanceEvents(ctx, "scheduled")
	if err != nil {
		t.Fatal(err)
	}
	if len(scheduled) != 1 || scheduled[0].EventID != "CSM-4410" || scheduled[0].State != "Scheduled" {
		t.Fatalf("scheduled maintenance: %+v", scheduled)
	}
	if !slices.Equal(scheduled[0].ServiceIDs, []string{osa1[:8]}) || scheduled[0].StartTime == "" {
		t.Fatalf("maintenance names OSA1 by its short uid, with a start: %+v", scheduled[0])
	}
	if _, err := time.Parse("2006-01-02T15:04:05.000Z07:00", scheduled[0].StartTime); err != nil {
		t.Fatalf("startTime is yyyy-MM-dd'T'HH:mm:ss.SSSX: %v", err)
	}
	running, err := client.EventsService.GetMaintenanceEvents(ctx, "Running")
	if err != nil || len(running) != 0 {
		t.Fatalf("no running maintenance: %+v, %v", running, err)
	}
	resolved, err := client.EventsService.GetOutageEvents(ctx, "resolved")
	if err != nil {
		t.Fatal(err)
	}
	if len(resolved) != 1 || resolved[0].EventID != "CSO-2207" || resolved[0].RootCause == "" ||
		!slices.Equal(resolved[0].ServiceIDs, []string{nyc1[:8]}) || resolved[0].OutageID == "" {
		t.Fatalf("resolved outage: %+v", resolved)
	}
	ongoing, err := client.EventsService.GetOutageEvents(ctx, "Ongoing")
	if err != nil || len(ongoing) != 0 {
		t.Fatalf("no ongoing outage: %+v, %v", ongoing, err)
	}
}

func TestLagMembersAndPorts(t *testing.T) {
	client, ctx := provider(t)
	ports, err := client.PortService.ListPorts(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var primary *megaport.Port
	members := 0
	for _, p := range ports {
		if p.AggregationID == 7001 {
			members++
			if p.LAGPrimary {
				primary = p
			}
		}
	}
	if members != 2 || primary == nil || primary.UID != lon1 || primary.LAGID != 7001 {
		t.Fatalf("LAG 7001: %d members, primary %+v", members, primary)
	}
	port, err := client.PortService.GetPort(ctx, lon1)
	if err != nil {
		t.Fatal(err)
	}
	slices.Sort(port.LagPortUIDs)
	want := []string{lon1, lon1Member}
	slices.Sort(want)
	if port.LagCount != 2 || !slices.Equal(port.LagPortUIDs, want) || port.DiversityZone != "blue" {
		t.Fatalf("GetPort collects the LAG: %d %v %q", port.LagCount, port.LagPortUIDs, port.DiversityZone)
	}
	osaka, err := client.PortService.GetPort(ctx, osa1)
	if err != nil || osaka.PortSpeed != 10000 || !osaka.VXCPermitted || len(osaka.AssociatedVXCs) != 1 {
		t.Fatalf("OSA1: %+v, %v", osaka, err)
	}
}

const (
	equinixLA1 = "cbbcc852-ed8a-4a3b-8f00-c192eefb1a88"
	acmePort   = "7fba50bb-ac35-465b-9b8b-9a6d7335ec7a"
)

// pending lists the provider's pending approvals of one type for a VXC.
func pending(t *testing.T, ctx context.Context, client *megaport.Client, serviceID int,
	kind megaport.OrderApprovalType) []*megaport.OrderApproval {
	t.Helper()
	status := megaport.OrderApprovalStatusPending
	listed, err := client.OrderApprovalService.ListOrderApprovals(ctx, &megaport.ListOrderApprovalsRequest{
		Status: &status, ServiceIDs: []int{serviceID},
	})
	if err != nil {
		t.Fatal(err)
	}
	var found []*megaport.OrderApproval
	for _, a := range listed.OrderApprovals {
		if a.Type == kind {
			found = append(found, a)
		}
	}
	if listed.TotalCount != len(listed.OrderApprovals) || listed.Page != 1 {
		t.Fatalf("paging headers: %+v", listed)
	}
	return found
}

func waitStatus(t *testing.T, ctx context.Context, client *megaport.Client, uid, want string) *megaport.VXC {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		vxc, err := client.VXCService.GetVXC(ctx, uid)
		if err != nil {
			t.Fatal(err)
		}
		if vxc.ProvisioningStatus == want {
			return vxc
		}
		if time.Now().After(deadline) {
			t.Fatalf("VXC %s is %s, not %s", uid, vxc.ProvisioningStatus, want)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// The provider approves a new order and rejects a speed change; the customer prices, cancels,
// restores and cancels now, all through the SDK.
func TestApprovalsLifecycleAndPricing(t *testing.T) {
	quantum, ctx := provider(t)
	acme, _ := login(t, "acme-sandbox", "acme-sandbox-secret")

	key, err := quantum.ServiceKeyService.CreateServiceKey(ctx, &megaport.CreateServiceKeyRequest{
		ProductUID: equinixLA1, SingleUse: true, MaxSpeed: 1000, Active: true, VLAN: 150,
		Description: "sdk conformance",
	})
	if err != nil {
		t.Fatal(err)
	}
	bought, err := acme.VXCService.BuyVXC(ctx, &megaport.BuyVXCRequest{
		PortUID: acmePort, VXCName: "acme to quantumgpu (sdk)", RateLimit: 200, Term: 12,
		ServiceKey:        key.ServiceKeyUID,
		BEndConfiguration: megaport.VXCOrderEndpointConfiguration{ProductUID: equinixLA1},
	})
	if err != nil {
		t.Fatal(err)
	}
	vxc := waitStatus(t, ctx, acme, bought.TechnicalServiceUID, "DEPLOYABLE")
	newOrders := pending(t, ctx, quantum, vxc.ID, megaport.OrderApprovalTypeNewOrder)
	if len(newOrders) != 1 || newOrders[0].AcctName != "Acme" || !newOrders[0].Active {
		t.Fatalf("one pending NEW_ORDER from Acme: %+v", newOrders)
	}
	if err := quantum.OrderApprovalService.ApproveOrderApproval(ctx, newOrders[0].UID,
		&megaport.OrderApprovalActionRequest{Comments: "welcome"}); err != nil {
		t.Fatal(err)
	}
	if err := quantum.OrderApprovalService.ApproveOrderApproval(ctx, newOrders[0].UID, nil); err == nil {
		t.Fatal("an approval is decided once")
	}
	waitStatus(t, ctx, acme, vxc.UID, "LIVE")

	// A faster rate on the provider's Port waits for the provider.
	faster := 500
	if _, err := acme.VXCService.UpdateVXC(ctx, vxc.UID, &megaport.UpdateVXCRequest{RateLimit: &faster}); err != nil {
		t.Fatal(err)
	}
	changes := pending(t, ctx, quantum, vxc.ID, megaport.OrderApprovalTypeSpeedChange)
	if len(changes) != 1 {
		t.Fatalf("one pending SPEED_CHANGE: %+v", changes)
	}
	if err := quantum.OrderApprovalService.RejectOrderApproval(ctx, changes[0].UID,
		&megaport.OrderApprovalActionRequest{Comments: "not this month"}); err != nil {
		t.Fatal(err)
	}
	if after, _ := acme.VXCService.GetVXC(ctx, vxc.UID); after.RateLimit != 200 {
		t.Fatalf("a rejected speed change leaves the rate: %d", after.RateLimit)
	}

	// The price of a VXC without a Port: the same as validate's (20 + 0.3 x 500) x 0.9.
	price, err := acme.ProductService.GetProductPricing(ctx, &megaport.VXCPriceBookRequest{
		ALocationID: 59, BLocationID: 59, Speed: 500, Term: 12, Currency: "USD",
	})
	if err != nil {
		t.Fatal(err)
	}
	if price.MonthlyRate != 153 || price.MonthlyRackRate != 170 || price.Currency != "USD" {
		t.Fatalf("pricebook: %+v", price)
	}

	listed, err := acme.VXCService.ListVXCs(ctx, &megaport.ListVXCsRequest{Name: "acme to quantumgpu (sdk)"})
	if err != nil || len(listed) != 1 || listed[0].UID != vxc.UID {
		t.Fatalf("ListVXCs: %+v, %v", listed, err)
	}

	// Cancel at the end of the term, restore, then cancel now.
	if err := acme.VXCService.DeleteVXC(ctx, vxc.UID, &megaport.DeleteVXCRequest{DeleteNow: false}); err != nil {
		t.Fatal(err)
	}
	waitStatus(t, ctx, acme, vxc.UID, "CANCELLED")
	if _, err := acme.ProductService.RestoreProduct(ctx, vxc.UID); err != nil {
		t.Fatal(err)
	}
	waitStatus(t, ctx, acme, vxc.UID, "LIVE")
	if err := acme.VXCService.DeleteVXC(ctx, vxc.UID, &megaport.DeleteVXCRequest{DeleteNow: true}); err != nil {
		t.Fatal(err)
	}
	waitStatus(t, ctx, acme, vxc.UID, "DECOMMISSIONED")
}

const (
	mcrLA = "5c2e8a41-7d3b-4f0e-9a6c-1b8d2f4e6a90"
	mveNY = "9e4f1c27-3a8b-4d6e-8f20-7c5a1e3b9d48"
)

func TestMcrAndMveAreListedAndRead(t *testing.T) {
	quantum, ctx := provider(t)
	mcrs, err := quantum.MCRService.ListMCRs(ctx, &megaport.ListMCRsRequest{})
	if err != nil {
		t.Fatal(err)
	}
	if len(mcrs) != 1 || mcrs[0].UID != mcrLA {
		t.Fatalf("ListMCRs: QuantumGPU has one MCR: %+v", mcrs)
	}
	mcr, err := quantum.MCRService.GetMCR(ctx, mcrLA)
	if err != nil {
		t.Fatal(err)
	}
	if mcr.Type != "MCR2" || mcr.PortSpeed != 5000 || mcr.Resources.VirtualRouter.ASN != 133937 ||
		mcr.DiversityZone != "blue" || mcr.LocationID != 60 || !mcr.VXCPermitted {
		t.Fatalf("GetMCR: %+v", mcr)
	}
	mves, err := quantum.MVEService.ListMVEs(ctx, &megaport.ListMVEsRequest{})
	if err != nil {
		t.Fatal(err)
	}
	if len(mves) != 1 || mves[0].UID != mveNY {
		t.Fatalf("ListMVEs: QuantumGPU has one MVE: %+v", mves)
	}
	mve, err := quantum.MVEService.GetMVE(ctx, mveNY)
	if err != nil {
		t.Fatal(err)
	}
	if mve.Type != "MVE" || mve.Size != "SMALL" || mve.Vendor != "PALO_ALTO" || len(mve.NetworkInterfaces) != 3 ||
		mve.NetworkInterfaces[1].Description != "Data Plane" || mve.LocationID != 75 {
		t.Fatalf("GetMVE: %+v", mve)
	}
}

// The provider configures its MCR end (interface, BGP) of a VXC bought with a key while it waits
// for approval, then approves; Megaport's record of the VXC shows the configuration.
func TestMcrEndIsConfiguredBeforeApproval(t *testing.T) {
	quantum, ctx := provider(t)
	acme, _ := login(t, "acme-sandbox", "acme-sandbox-secret")
	key, err := quantum.ServiceKeyService.CreateServiceKey(ctx, &megaport.CreateServiceKeyRequest{
		ProductUID: mcrLA, SingleUse: true, MaxSpeed: 1000, Active: true, VLAN: 160,
		Description: "sdk conformance mcr",
	})
	if err != nil {
		t.Fatal(err)
	}
	bought, err := acme.VXCService.BuyVXC(ctx, &megaport.BuyVXCRequest{
		PortUID: acmePort, VXCName: "acme to quantumgpu mcr (sdk)", RateLimit: 100, Term: 12,
		ServiceKey:        key.ServiceKeyUID,
		BEndConfiguration: megaport.VXCOrderEndpointConfiguration{ProductUID: mcrLA},
	})
	if err != nil {
		t.Fatal(err)
	}
	vxc := waitStatus(t, ctx, acme, bought.TechnicalServiceUID, "DEPLOYABLE")
	config := func(address string, asn int) *megaport.VXCOrderVrouterPartnerConfig {
		return &megaport.VXCOrderVrouterPartnerConfig{Interfaces: []megaport.PartnerConfigInterface{{
			IpAddresses: []string{address},
			Bfd:         megaport.BfdConfig{TxInterval: 300, RxInterval: 300, Multiplier: 3},
			BgpConnections: []megaport.BgpConnectionConfig{{
				PeerAsn: asn, LocalIpAddress: "169.254.20.1", PeerIpAddress: "169.254.20.2",
				Password: "sdk-bgp-secret", BfdEnabled: true,
			}},
		}}}
	}
	// Megaport's rules: an interface address has a prefix length, an ASN is in range.
	if _, err := quantum.VXCService.UpdateVXC(ctx, vxc.UID, &megaport.UpdateVXCRequest{
		BEndPartnerConfig: config("169.254.20.1", 64600)}); err == nil {
		t.Fatal("an interface address without a prefix length is refused")
	}
	if _, err := quantum.VXCService.UpdateVXC(ctx, vxc.UID, &megaport.UpdateVXCRequest{
		BEndPartnerConfig: config("169.254.20.1/30", 0)}); err == nil {
		t.Fatal("peer ASN 0 is refused")
	}
	if _, err := acme.VXCService.UpdateVXC(ctx, vxc.UID, &megaport.UpdateVXCRequest{
		BEndPartnerConfig: config("169.254.20.1/30", 64600)}); err == nil {
		t.Fatal("only the B-End owner configures the B-End")
	}
	if _, err := quantum.VXCService.UpdateVXC(ctx, vxc.UID, &megaport.UpdateVXCRequest{
		BEndPartnerConfig: config("169.254.20.1/30", 64600)}); err != nil {
		t.Fatal(err)
	}
	newOrders := pending(t, ctx, quantum, vxc.ID, megaport.OrderApprovalTypeNewOrder)
	if len(newOrders) != 1 {
		t.Fatalf("one pending NEW_ORDER: %+v", newOrders)
	}
	if err := quantum.OrderApprovalService.ApproveOrderApproval(ctx, newOrders[0].UID, nil); err != nil {
		t.Fatal(err)
	}
	live := waitStatus(t, ctx, acme, vxc.UID, "LIVE")
	if live.Resources == nil || live.Resources.CSPConnection == nil || len(live.Resources.CSPConnection.CSPConnection) != 1 {
		t.Fatalf("the B-End's vrouter config is read back: %+v", live.Resources)
	}
	router, ok := live.Resources.CSPConnection.CSPConnection[0].(megaport.CSPConnectionVirtualRouter)
	if !ok || router.ConnectType != "VROUTER" || router.VLAN != 160 || len(router.Interfaces) != 1 {
		t.Fatalf("csp_connection: %+v", live.Resources.CSPConnection.CSPConnection[0])
	}
	session := router.Interfaces[0].BGPConnections
	if router.Interfaces[0].IPAddresses[0] != "169.254.20.1/30" || len(session) != 1 ||
		session[0].PeerAsn != 64600 || session[0].PeerIpAddress != "169.254.20.2" || !session[0].BfdEnabled ||
		session[0].Password != "" {
		t.Fatalf("the interface and session as configured (no password read back): %+v", router.Interfaces[0])
	}
	if err := acme.VXCService.DeleteVXC(ctx, vxc.UID, &megaport.DeleteVXCRequest{DeleteNow: true}); err != nil {
		t.Fatal(err)
	}
}

// A VXC to an MVE lands on the vNIC its order names; the owner moves it to another free one.
func TestMveEndsUseOneVnicEach(t *testing.T) {
	quantum, ctx := provider(t)
	buy := func(vnic int) (*megaport.BuyVXCResponse, error) {
		return quantum.VXCService.BuyVXC(ctx, &megaport.BuyVXCRequest{
			PortUID: nyc1, VXCName: fmt.Sprintf("nyc1 to mve vnic %d (sdk)", vnic), RateLimit: 100, Term: 1,
			BEndConfiguration: megaport.VXCOrderEndpointConfiguration{
				ProductUID: mveNY, VXCOrderMVEConfig: &megaport.VXCOrderMVEConfig{NetworkInterfaceIndex: vnic},
			},
		})
	}
	bought, err := buy(1)
	if err != nil {
		t.Fatal(err)
	}
	vxc, err := quantum.VXCService.GetVXC(ctx, bought.TechnicalServiceUID)
	if err != nil {
		t.Fatal(err)
	}
	if vxc.BEndConfiguration.UID != mveNY || vxc.BEndConfiguration.NetworkInterfaceIndex != 1 {
		t.Fatalf("the B-End is vNIC 1 of the MVE: %+v", vxc.BEndConfiguration)
	}
	if _, err := buy(1); err == nil {
		t.Fatal("a vNIC carries one VXC")
	}
	if _, err := buy(7); err == nil {
		t.Fatal("the MVE has vNICs 0 to 2")
	}
	to := 2
	if _, err := quantum.VXCService.UpdateVXC(ctx, vxc.UID, &megaport.UpdateVXCRequest{BVnicIndex: &to}); err != nil {
		t.Fatal(err)
	}
	moved, err := quantum.VXCService.GetVXC(ctx, vxc.UID)
	if err != nil {
		t.Fatal(err)
	}
	if moved.BEndConfiguration.NetworkInterfaceIndex != 2 {
		t.Fatalf("moved to vNIC 2: %+v", moved.BEndConfiguration)
	}
	if err := quantum.VXCService.DeleteVXC(ctx, vxc.UID, &megaport.DeleteVXCRequest{DeleteNow: true}); err != nil {
		t.Fatal(err)
	}
}
