package onramp_test

import (
	"context"
	"testing"
	"time"

	onrampv1 "github.com/onramp-dev/onramp/clients/go/gen/onramp/v1"
)

// The provider's approval inbox: a customer buys with a key that is not pre-approved, the inbox
// lists it with the key and customer_ref, and the provider approves it; once LIVE, the customer
// cancels it at the end of its term (one lifecycle change).
func TestTheProviderApprovesFromItsInbox(t *testing.T) {
	c := dial(t)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()

	created, err := c.ServiceKeys.CreateServiceKey(ctx, &onrampv1.CreateServiceKeyRequest{
		PortUid: quantumGPULA1, SingleUse: true, MaxSpeedMbps: 1000, PreApproved: false,
		CustomerRef: "acme-go", RequestId: uuid4(),
	})
	if err != nil {
		t.Fatal(err)
	}
	key := created.GetServiceKey().GetKey()
	bought, err := c.VxcOrders.CreateVxcOrder(ctx, &onrampv1.CreateVxcOrderRequest{
		Account: "acme",
		Spec: &onrampv1.VxcOrderSpec{
			ServiceKey: key, AEndPortUid: acmePort, RateLimitMbps: 100, TermMonths: 12, Name: "go inbox",
		},
		RequestId: uuid4(),
	})
	if err != nil {
		t.Fatal(err)
	}
	order := bought.GetOrder()
	if order.GetState() != onrampv1.VxcOrderState_VXC_ORDER_STATE_AWAITING_APPROVAL {
		t.Fatalf("order state %v", order.GetState())
	}

	var pending *onrampv1.Approval
	for deadline := time.Now().Add(20 * time.Second); pending == nil; {
		listed, err := c.Approvals.ListApprovals(ctx, &onrampv1.ListApprovalsRequest{})
		if err != nil {
			t.Fatal(err)
		}
		for _, a := range listed.GetApprovals() {
			// The inbox names an approval's key once the key watcher has seen the VXC on it
			// (a read of the inbox just before that lists it without, and the next adds it).
			if a.GetVxcUid() == order.GetVxcUid() && a.GetServiceKey() != "" {
				pending = a
			}
		}
		if pending == nil {
			if time.Now().After(deadline) {
				t.Fatal("the inbox never listed the order with its key")
			}
			time.Sleep(200 * time.Millisecond)
		}
	}
	if pending.GetType() != onrampv1.ApprovalType_APPROVAL_TYPE_NEW_ORDER ||
		pending.GetServiceKey() != key || pending.GetCustomerRef() != "acme-go" ||
		pending.GetRequester() != "Acme" || pending.GetOnRamp().GetPortUid() != quantumGPULA1 {
		t.Fatalf("pending approval: %v", pending)
	}
	approved, err := c.Approvals.ApproveApproval(ctx, &onrampv1.ApproveApprovalRequest{
		ApprovalUid: pending.GetApprovalUid(), Comment: "welcome",
	})
	if err != nil {
		t.Fatal(err)
	}
	if approved.GetApproval().GetStatus() != onrampv1.ApprovalStatus_APPROVAL_STATUS_APPROVED {
		t.Fatalf("approved: %v", approved.GetApproval())
	}

	for deadline := time.Now().Add(30 * time.Second); ; {
		got, err := c.VxcOrders.GetVxcOrder(ctx, &onrampv1.GetVxcOrderRequest{OrderId: order.GetOrderId()})
		if err != nil {
			t.Fatal(err)
		}
		if got.GetOrder().GetState() == onrampv1.VxcOrderState_VXC_ORDER_STATE_LIVE {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("order still %v", got.GetOrder().GetState())
		}
		time.Sleep(200 * time.Millisecond)
	}
	cancelled, err := c.VxcOrders.CancelVxc(ctx, &onrampv1.CancelVxcRequest{
		Account: "acme", VxcUid: order.GetVxcUid(), Now: false, RequestId: uuid4(),
	})
	if err != nil {
		t.Fatal(err)
	}
	if cancelled.GetVxc().GetProvisioningStatus() != onrampv1.ProvisioningStatus_PROVISIONING_STATUS_CANCELLED {
		t.Fatalf("cancelled: %v", cancelled.GetVxc())
	}
}

const quantumGPULAMCR = "5c2e8a41-7d3b-4f0e-9a6c-1b8d2f4e6a90"

// The provider's MCR: a key with a peering profile (interface and BGP session); onramp sends the
// profile to Megaport before it approves the order bought with the key.
func TestAKeyOnTheMCRConfiguresTheBGPSessionBeforeApproval(t *testing.T) {
	c := dial(t)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()

	mcrs, err := c.Catalog.ListOnRamps(ctx, &onrampv1.ListOnRampsRequest{
		Kinds: []onrampv1.OnRampKind{onrampv1.OnRampKind_ON_RAMP_KIND_MCR},
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(mcrs.GetOnRamps()) != 1 || mcrs.GetOnRamps()[0].GetPortUid() != quantumGPULAMCR ||
		mcrs.GetOnRamps()[0].GetMcrAsn() != 133937 {
		t.Fatalf("one MCR: %v", mcrs.GetOnRamps())
	}
	created, err := c.ServiceKeys.CreateServiceKey(ctx, &onrampv1.CreateServiceKeyRequest{
		PortUid: quantumGPULAMCR, SingleUse: true, MaxSpeedMbps: 1000, PreApproved: false,
		CustomerRef: "acme-go-l3", RequestId: uuid4(),
		Peering: &onrampv1.PeeringProfile{Kind: &onrampv1.PeeringProfile_Mcr{Mcr: &onrampv1.McrPeering{
			InterfaceAddresses: []string{"169.254.50.1/30"},
			Bgp: &onrampv1.BgpSession{
				PeerAsn: 64900, LocalIpAddress: "169.254.50.1", PeerIpAddress: "169.254.50.2",
				Password: "go-bgp-secret", Bfd: true,
			},
		}}},
	})
	if err != nil {
		t.Fatal(err)
	}
	key := created.GetServiceKey()
	if bgp := key.GetPeering().GetMcr().GetBgp(); !bgp.GetPasswordSet() || bgp.GetPassword() != "" {
		t.Fatalf("the password is kept, never returned: %v", bgp)
	}
	bought, err := c.VxcOrders.CreateVxcOrder(ctx, &onrampv1.CreateVxcOrderRequest{
		Account: "acme",
		Spec: &onrampv1.VxcOrderSpec{
			ServiceKey: key.GetKey(), AEndPortUid: acmePort, RateLimitMbps: 100, TermMonths: 12, Name: "go mcr",
		},
		RequestId: uuid4(),
	})
	if err != nil {
		t.Fatal(err)
	}
	var pending *onrampv1.Approval
	for deadline := time.Now().Add(20 * time.Second); pending == nil; {
		listed, err := c.Approvals.ListApprovals(ctx, &onrampv1.ListApprovalsRequest{})
		if err != nil {
			t.Fatal(err)
		}
		for _, a := range listed.GetApprovals() {
			if a.GetVxcUid() == bought.GetOrder().GetVxcUid() && a.GetServiceKey() == key.GetKey() {
				pending = a
			}
		}
		if pending == nil {
			if time.Now().After(deadline) {
				t.Fatal("the inbox never listed the order with its key")
			}
			time.Sleep(200 * time.Millisecond)
		}
	}
	approved, err := c.Approvals.ApproveApproval(ctx, &onrampv1.ApproveApprovalRequest{ApprovalUid: pending.GetApprovalUid()})
	if err != nil {
		t.Fatal(err)
	}
	if approved.GetApproval().GetPeering().GetState() != onrampv1.PeeringState_PEERING_STATE_SENT_BEFORE_APPROVAL {
		t.Fatalf("the profile went before the approval: %v", approved.GetApproval().GetPeering())
	}
}
