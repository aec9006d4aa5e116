export { CHANGE_ACTIONS, CHANGE_KINDS, changeChannels, parseChangeMessage, type CampaignChangeAction, type ChangeEvent, type ChangeKind, type ChangeMessage, type CodesChangeAction } from './change-event';
export { ChangePublisher, type ChangePublisherOptions, type ChangeSink, type PublishResult } from './change-publisher';
export { ChangeFeed, type ChangeFeedOptions, type ChangeListener, type ResyncListener } from './change-feed';
