"""Partner shops: merchants, offers, terminals, the counter, redemptions and refunds, holds, settlement."""
